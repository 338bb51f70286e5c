#!/usr/bin/perl
# A pure-Perl Gearman::Worker driven by the peer tests (it grabs with GRAB_JOB, not GRAB_JOB_ALL).
# usage: perl worker.pl HOST PORT COUNT LOGFILE [FUNCTION ...]
# Handles COUNT jobs (0 = until killed). Every job it starts is appended to LOGFILE as one JSON line
# {pid, fn, handle, len, sha256, data?}. Without FUNCTION arguments it registers all of them:
#   rev    returns the argument reversed
#   echo   returns the argument unchanged
#   fail   returns undef (the worker sends WORK_FAIL)
#   die    dies "kaput" (the worker sends WORK_EXCEPTION, then WORK_FAIL)
#   hold   sets status 1/2, then waits for the file LOGFILE.release; returns held:<argument>
use strict;
use warnings;
use Gearman::Worker;
use JSON::PP ();
use MIME::Base64 ();
use Digest::SHA ();
use Time::HiRes ();
use Fcntl qw(:flock);

my ($host, $port, $count, $log, @only) = @ARGV;
$| = 1;

sub record {
    my ($job) = @_;
    my $arg = $job->arg;
    my %line = (pid => $$, fn => $job->{func}, handle => $job->handle, len => length($arg),
        sha256 => Digest::SHA::sha256_hex($arg));
    $line{data} = MIME::Base64::encode_base64($arg, '') if length($arg) <= 256;
    open(my $fh, '>>', $log) or die "open $log: $!";
    print $fh JSON::PP->new->canonical->encode(\%line), "\n";
    close($fh);
}

my %fns = (
    rev => sub { scalar reverse $_[0]->arg },
    echo => sub { $_[0]->arg },
    fail => sub { undef },
    die => sub { die "kaput\n" },
    hold => sub {
        my ($job) = @_;
        $job->set_status(1, 2);
        my $deadline = Time::HiRes::time() + 30;
        until (-e "$log.release") {
            die "hold: never released\n" if Time::HiRes::time() > $deadline;
            Time::HiRes::sleep(0.01);
        }
        return 'held:' . $job->arg;
    },
);

my $w = Gearman::Worker->new(job_servers => ["$host:$port"]);
for my $name (sort keys %fns) {
    next if @only && !grep { $_ eq $name } @only;
    my $f = $fns{$name};
    $w->register_function($name => sub {
        my ($job) = @_;
        record($job);
        return $f->($job);
    });
}
my $done = 0;
$w->work(
    on_complete => sub { $done++ },
    on_fail => sub { $done++ },
    stop_if => sub { $count > 0 && $done >= $count },
);

#!/usr/bin/perl
# A pure-Perl Gearman::Worker for the scheduling tests (test/scheduling).
# usage: perl scheduling-worker.pl HOST PORT LOGFILE
# Runs until killed. Every job it starts is appended to LOGFILE as one JSON line
# {pid, fn, handle, ms, data} before the function runs; ms is the wall clock in milliseconds.
#   report  the workload names a file another system delivers. While the file is missing the job
#           asks to run again in one second (WORK_EXCEPTION "gearhq:reschedule +1", sent with
#           send_work_exception); once it is there, returns "report on <size> bytes". The README
#           quotes this function verbatim.
#   dies    dies with "gearhq:reschedule +1\n". Gearman::Worker catches the die and sends
#           WORK_EXCEPTION with the message frozen by Storable (binary, not the text), then
#           WORK_FAIL: the server does not read that as a reschedule. The tests show it.
use strict;
use warnings;
use Gearman::Worker;
use JSON::PP ();
use MIME::Base64 ();
use Time::HiRes ();

my ($host, $port, $log) = @ARGV;
$| = 1;
my $worker = Gearman::Worker->new(job_servers => ["$host:$port"]);

# README:perl-reschedule
sub report {
    my ($job) = @_;
    my $input = $job->arg;
    unless (-e $input) {
        # Not delivered yet: run this same job (same handle) again in one second.
        # Send the exception yourself and return: a die would not reschedule.
        $worker->send_work_exception($job, 'gearhq:reschedule +1');
        return undef;
    }
    return 'report on ' . (-s $input) . ' bytes';
}
# README:end

sub dies { die "gearhq:reschedule +1\n" }

my %functions = (report => \&report, dies => \&dies);
for my $name (sort keys %functions) {
    my $f = $functions{$name};
    $worker->register_function($name => sub {
        my ($job) = @_;
        my %line = (pid => $$, fn => $name, handle => $job->handle, ms => Time::HiRes::time() * 1000,
            data => MIME::Base64::encode_base64($job->arg, ''));
        open(my $fh, '>>', $log) or die "open $log: $!";
        print $fh JSON::PP->new->canonical->encode(\%line), "\n";
        close($fh);
        return $f->($job);
    });
}
$worker->work(stop_if => sub { 0 });

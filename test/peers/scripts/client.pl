#!/usr/bin/perl
# A pure-Perl Gearman::Client driven by the peer tests.
# usage: perl client.pl HOST PORT < PROGRAM_JSON
# PROGRAM_JSON (on stdin, as it can hold megabytes) is a list of steps run in order on one
# Gearman::Client; binary data travels base64.
#   {"op":"do", "fn", "data", "priority"?, "uniq"?}  → {"result": base64 or null, "failed": bool}
#   {"op":"bg", "fn", "data", "priority"?, "uniq"?}  → {"handle"}
#   {"op":"status", "handle"}  → {"known", "running", "numerator", "denominator"} or null (unknown)
# Prints one line "RESULT <json list of step results>".
use strict;
use warnings;
use Gearman::Client;
use JSON::PP ();
use MIME::Base64 ();

my ($host, $port) = @ARGV;
my $steps = JSON::PP::decode_json(do { local $/; <STDIN> });
my $c = Gearman::Client->new(job_servers => ["$host:$port"]);
my @out;
for my $s (@$steps) {
    my $data = MIME::Base64::decode_base64($s->{data} // '');
    my %opts;
    $opts{priority} = $s->{priority} if $s->{priority};
    $opts{uniq} = $s->{uniq} if defined $s->{uniq};
    if ($s->{op} eq 'do') {
        my $failed = JSON::PP::false;
        my $r = $c->do_task($s->{fn}, $data, { %opts, on_fail => sub { $failed = JSON::PP::true } });
        push @out, { result => defined $r ? MIME::Base64::encode_base64($$r, '') : undef,
            failed => $failed };
    } elsif ($s->{op} eq 'bg') {
        push @out, { handle => $c->dispatch_background($s->{fn}, $data, \%opts) };
    } elsif ($s->{op} eq 'status') {
        my $st = $c->get_status($s->{handle});
        push @out, $st ? { known => $st->known ? 1 : 0, running => $st->running ? 1 : 0,
            numerator => ($st->progress // [])->[0], denominator => ($st->progress // [])->[1] } : undef;
    } else {
        die "client: unknown op $s->{op}\n";
    }
}
print 'RESULT ', JSON::PP->new->canonical->encode(\@out), "\n";

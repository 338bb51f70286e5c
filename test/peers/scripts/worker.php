<?php
// A php-gearman (GearmanWorker) worker driven by the peer tests.
// usage: php worker.php HOST PORT COUNT LOGFILE [FUNCTION ...]
// The environment variable WORKER_ID, when set, becomes the worker's id (SET_CLIENT_ID).
// Handles COUNT jobs (0 = until killed), then exits 0. Every job it starts is appended to LOGFILE as
// one JSON line {pid, fn, handle, unique, len, sha256, data?} before the function runs, so tests can
// prove which jobs ran, where, and how often. Without FUNCTION arguments it registers all of them.
//   rev     returns the workload reversed
//   echo    returns the workload unchanged
//   sha     returns "<length>:<sha256 hex>" of the workload
//   stream  sends status 1/3, data d1, warning w1, status 2/3, data d2, status 3/3; returns done:<workload>
//   throw   sends an exception "boom:<workload>"
//   fail    sends a failure
//   hold    sends status 1/2, then waits for the file LOGFILE.release; returns held:<workload>
[$_, $host, $port, $count, $log] = $argv;
$only = array_slice($argv, 5);
$count = (int)$count;

function record(string $log, GearmanJob $j): void {
  $w = $j->workload();
  $line = ['pid' => getmypid(), 'fn' => $j->functionName(), 'handle' => $j->handle(),
    'unique' => $j->unique(), 'len' => strlen($w), 'sha256' => hash('sha256', $w)];
  if (strlen($w) <= 256) $line['data'] = base64_encode($w);
  // One append per line: O_APPEND writes this small are atomic, so several workers can share a log.
  file_put_contents($log, json_encode($line) . "\n", FILE_APPEND);
}

$fns = [
  'rev' => fn(GearmanJob $j) => strrev($j->workload()),
  'echo' => fn(GearmanJob $j) => $j->workload(),
  'sha' => fn(GearmanJob $j) => strlen($j->workload()) . ':' . hash('sha256', $j->workload()),
  'stream' => function (GearmanJob $j) {
    $j->sendStatus(1, 3); $j->sendData('d1'); $j->sendWarning('w1');
    $j->sendStatus(2, 3); $j->sendData('d2'); $j->sendStatus(3, 3);
    return 'done:' . $j->workload();
  },
  'throw' => function (GearmanJob $j) { $j->sendException('boom:' . $j->workload()); return null; },
  'fail' => function (GearmanJob $j) { $j->sendFail(); return null; },
  'hold' => function (GearmanJob $j) use ($log) {
    $j->sendStatus(1, 2);
    record($log, $j);  // after the status, so a test that saw the log line sees 1/2
    $deadline = microtime(true) + 30;
    while (!file_exists("$log.release")) {
      if (microtime(true) > $deadline) { fwrite(STDERR, "hold: never released\n"); exit(3); }
      usleep(10000);
    }
    return 'held:' . $j->workload();
  },
];

$w = new GearmanWorker();
$w->addServer($host, (int)$port);
if (getenv('WORKER_ID') !== false) $w->setId(getenv('WORKER_ID'));
foreach ($fns as $name => $f) {
  if ($only && !in_array($name, $only, true)) continue;
  $w->addFunction($name, function (GearmanJob $j) use ($name, $f, $log) {
    if ($name !== 'hold') record($log, $j);
    return $f($j);
  });
}
for ($n = 0; $count === 0 || $n < $count; $n++) {
  $w->work();
  $rc = $w->returnCode();
  // A job that failed or threw still counts as handled; anything else is a broken connection.
  if (!in_array($rc, [GEARMAN_SUCCESS, GEARMAN_WORK_FAIL, GEARMAN_WORK_EXCEPTION], true)) {
    fwrite(STDERR, "worker: work() failed: rc=$rc " . $w->error() . "\n");
    exit(1);
  }
}

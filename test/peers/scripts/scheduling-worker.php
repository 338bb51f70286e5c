<?php
// A php-gearman (GearmanWorker) worker for the scheduling tests (test/scheduling).
// usage: php scheduling-worker.php HOST PORT LOGFILE
// Runs until killed. Every job it starts is appended to LOGFILE as one JSON line
// {pid, fn, handle, unique, ms, data} before the function runs; ms is the wall clock in
// milliseconds (fractional), so tests can measure back-offs and reschedules.
//   report  the workload names a file another system delivers. While the file is missing the job
//           asks to run again in one second (WORK_EXCEPTION "gearhq:reschedule +1"); once it is
//           there, returns "report on <size> bytes". The README quotes this function verbatim.
//   flaky   the workload is a comma-separated list of what attempts 1, 2, ... of a job do (the
//           last entry repeats): "sendFail" ($job->sendFail(); return null), "setReturnFail"
//           ($job->setReturn(GEARMAN_WORK_FAIL)) or "ok" (returns "ok after <n> attempts").
//           Attempts are counted per handle in this process.
// The work loop exits 1, with the return code on stderr, on any outcome of work() other than a
// handled job (GEARMAN_SUCCESS) or a failed one (GEARMAN_WORK_FAIL), so a test notices a worker
// that a reschedule or a retry broke.
[$_, $host, $port, $log] = $argv;

// README:php-reschedule
function report(GearmanJob $job): ?string {
  $input = $job->workload();
  if (!file_exists($input)) {
    // Not delivered yet: run this same job (same handle) again in one second.
    $job->sendException('gearhq:reschedule +1');
    return null;  // nothing more is sent; work() returns true and the loop goes on
  }
  return 'report on ' . filesize($input) . ' bytes';
}
// README:end

function flaky(GearmanJob $job): ?string {
  static $attempts = [];
  $n = $attempts[$job->handle()] = ($attempts[$job->handle()] ?? 0) + 1;
  $plan = explode(',', $job->workload());
  $action = $plan[min($n, count($plan)) - 1];
  switch ($action) {
    case 'sendFail':
      $job->sendFail();
      return null;
    case 'setReturnFail':
      $job->setReturn(GEARMAN_WORK_FAIL);
      return null;
    case 'ok':
      return "ok after $n attempts";
  }
  fwrite(STDERR, "flaky: unknown action $action\n");
  exit(2);
}

function logged(string $log, string $fn): callable {
  return function (GearmanJob $job) use ($log, $fn) {
    $line = ['pid' => getmypid(), 'fn' => $fn, 'handle' => $job->handle(), 'unique' => $job->unique(),
      'ms' => microtime(true) * 1000, 'data' => base64_encode($job->workload())];
    file_put_contents($log, json_encode($line) . "\n", FILE_APPEND);
    return $fn($job);
  };
}

$worker = new GearmanWorker();
$worker->addServer($host, (int)$port);
foreach (['report', 'flaky'] as $fn) $worker->addFunction($fn, logged($log, $fn));
for (;;) {
  $worker->work();
  $rc = $worker->returnCode();
  if ($rc !== GEARMAN_SUCCESS && $rc !== GEARMAN_WORK_FAIL) {
    fwrite(STDERR, "worker: work() ended with rc=$rc " . $worker->error() . "\n");
    exit(1);
  }
}

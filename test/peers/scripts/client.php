<?php
// A php-gearman (GearmanClient) client driven by the peer tests.
// usage: php client.php HOST PORT < PROGRAM_JSON
// PROGRAM_JSON (on stdin, as it can hold megabytes) is a list of steps run in order on one
// GearmanClient; binary data travels base64.
//   {"op":"do", "method":"doNormal|doHigh|doLow", "fn", "data", "unique"?}
//       → {"rc", "result", "error"?}
//   {"op":"bg", "method":"doBackground|doHighBackground|doLowBackground", "fn", "data", "unique"?}
//       → {"rc", "handle"}
//   {"op":"status", "handle"} → {"status": [known, running, numerator, denominator]}
//   {"op":"statusUnique", "unique"} → {"status": [known, running, numerator, denominator]}
//   {"op":"ping", "data"} → {"ok", "rc"}
//   {"op":"tasks", "tasks": [{"method":"addTask|addTaskHigh|addTaskLow|addTaskBackground|...",
//       "fn", "data", "unique"?}]} → {"ok", "rc", "events": [[task index, kind, ...], ...]}
// Every task callback is also printed at once as a line "EVENT <json>", so a test can react to
// "created" while runTasks() is still waiting. The last line is "RESULT <json list of step results>".
[$_, $host, $port] = $argv;
$steps = json_decode(file_get_contents('php://stdin'), true, 512, JSON_THROW_ON_ERROR);

$c = new GearmanClient();
$c->addServer($host, (int)$port);
$events = [];
$emit = function (array $e) use (&$events) {
  $events[] = $e;
  echo 'EVENT ', json_encode($e), "\n";
  fflush(STDOUT);
};
$c->setCreatedCallback(fn($t, $ctx) => $emit([(int)$ctx, 'created', $t->jobHandle()]));
$c->setDataCallback(fn($t, $ctx) => $emit([(int)$ctx, 'data', base64_encode($t->data())]));
$c->setWarningCallback(fn($t, $ctx) => $emit([(int)$ctx, 'warning', base64_encode($t->data())]));
$c->setStatusCallback(fn($t, $ctx) => $emit([(int)$ctx, 'status', $t->taskNumerator(), $t->taskDenominator()]));
$c->setCompleteCallback(fn($t, $ctx) => $emit([(int)$ctx, 'complete', base64_encode($t->data())]));
$c->setFailCallback(fn($t, $ctx) => $emit([(int)$ctx, 'fail']));
$c->setExceptionCallback(fn($t, $ctx) => $emit([(int)$ctx, 'exception', base64_encode($t->data())]));

$out = [];
foreach ($steps as $s) {
  $data = isset($s['data']) ? base64_decode($s['data']) : '';
  $unique = $s['unique'] ?? null;
  switch ($s['op']) {
    case 'do':
      $r = $c->{$s['method']}($s['fn'], $data, $unique);
      $res = ['rc' => $c->returnCode(), 'result' => base64_encode((string)$r)];
      if ($c->returnCode() !== GEARMAN_SUCCESS) $res['error'] = $c->error();
      $out[] = $res;
      break;
    case 'bg':
      $h = $c->{$s['method']}($s['fn'], $data, $unique);
      $out[] = ['rc' => $c->returnCode(), 'handle' => $h];
      break;
    case 'status':
      $out[] = ['status' => $c->jobStatus($s['handle'])];
      break;
    case 'statusUnique':
      $out[] = ['status' => $c->jobStatusByUniqueKey($s['unique'])];
      break;
    case 'ping':
      $out[] = ['ok' => $c->ping($data), 'rc' => $c->returnCode()];
      break;
    case 'tasks':
      $events = [];
      foreach ($s['tasks'] as $i => $t) {
        $tdata = isset($t['data']) ? base64_decode($t['data']) : '';
        $task = $c->{$t['method']}($t['fn'], $tdata, (string)$i, $t['unique'] ?? null);
        if ($task === false) { fwrite(STDERR, "client: {$t['method']} failed: " . $c->error() . "\n"); exit(1); }
      }
      $ok = $c->runTasks();
      $out[] = ['ok' => $ok, 'rc' => $c->returnCode(), 'events' => $events];
      break;
    default:
      fwrite(STDERR, "client: unknown op {$s['op']}\n");
      exit(2);
  }
}
echo 'RESULT ', json_encode($out), "\n";

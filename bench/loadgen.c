/*
 * loadgen — Gearman load generator on libgearman, used by bench/run.ts.
 *
 * One libgearman connection per thread, so the generator scales with threads and a C server
 * (gearmand) driven by the same binary shows what the generator can sustain.
 *
 * Scenarios (see bench/README.md):
 *   bg-submit  N background jobs pipelined over C client connections in batches of B
 *              (gearman_client_add_task_background x B, then gearman_client_run_tasks).
 *              Latency = per-batch acknowledgement time: from the start of run_tasks for a batch
 *              until every JOB_CREATED of that batch has arrived.
 *   drain      N background jobs queued first (not timed), then drained by W worker threads
 *              (gearman_worker_work loops; the function returns an empty result at once).
 *   fg-echo    N foreground jobs (gearman_client_do) from K client threads; W worker threads
 *              return the workload. Latency = one gearman_client_do round trip.
 *
 * Output: one JSON object per line on stdout ({"type":"result",...}); diagnostics on stderr.
 * With --server-pid, the server's CPU time (utime+stime from /proc/PID/stat) is sampled exactly
 * at the edges of the timed window, and its RSS around the pre-queue of `drain`.
 * With --helper-pid, the CPU time of a helper process tree (e.g. the PostgreSQL server behind
 * gearhq: the postmaster, its live children, and children it already reaped) is sampled at the
 * same edges, reported as helper_cpu_s and not counted as "other" load.
 *
 * Build: gcc -O2 -o bench/bin/loadgen bench/loadgen.c -lgearman -lpthread
 */
#define _GNU_SOURCE
#include <libgearman/gearman.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* options */

typedef struct {
  const char *host;
  int port;
  const char *scenario;
  long jobs;
  int conns;    /* bg-submit / drain pre-queue client connections */
  int batch;    /* tasks per run_tasks call */
  int clients;  /* fg-echo client threads */
  int workers;  /* drain / fg-echo worker threads */
  size_t payload;
  char fn[128];
  int server_pid;
  int helper_pid;
  int timeout_s; /* whole-run deadline: give up and report an error instead of hanging */
  int lib_unique; /* 1: let libgearman generate a UUID unique per job */
  int random_unique; /* 1: bg-submit sends a random 32-hex-digit unique per job (like UUIDv4) */
} options_t;

static options_t opt = {
    .host = "127.0.0.1",
    .port = 4730,
    .scenario = NULL,
    .jobs = 100000,
    .conns = 4,
    .batch = 100,
    .clients = 16,
    .workers = 4,
    .payload = 100,
    .fn = "",
    .server_pid = 0,
    .helper_pid = 0,
    .timeout_s = 300,
    .lib_unique = 0,
    .random_unique = 0,
};

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen --scenario bg-submit|drain|fg-echo [--host H] [--port P]\n"
          "               [--jobs N] [--conns C] [--batch B] [--clients K] [--workers W]\n"
          "               [--payload BYTES] [--fn NAME] [--server-pid PID] [--helper-pid PID]\n"
          "               [--timeout S] [--lib-unique] [--random-unique]\n");
  exit(2);
}

static void parse_args(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
#define NEXT() (i + 1 < argc ? argv[++i] : (usage(), (char *)NULL))
    if (!strcmp(a, "--host")) opt.host = NEXT();
    else if (!strcmp(a, "--port")) opt.port = atoi(NEXT());
    else if (!strcmp(a, "--scenario")) opt.scenario = NEXT();
    else if (!strcmp(a, "--jobs")) opt.jobs = atol(NEXT());
    else if (!strcmp(a, "--conns")) opt.conns = atoi(NEXT());
    else if (!strcmp(a, "--batch")) opt.batch = atoi(NEXT());
    else if (!strcmp(a, "--clients")) opt.clients = atoi(NEXT());
    else if (!strcmp(a, "--workers")) opt.workers = atoi(NEXT());
    else if (!strcmp(a, "--payload")) opt.payload = (size_t)atol(NEXT());
    else if (!strcmp(a, "--fn")) snprintf(opt.fn, sizeof opt.fn, "%s", NEXT());
    else if (!strcmp(a, "--server-pid")) opt.server_pid = atoi(NEXT());
    else if (!strcmp(a, "--helper-pid")) opt.helper_pid = atoi(NEXT());
    else if (!strcmp(a, "--timeout")) opt.timeout_s = atoi(NEXT());
    else if (!strcmp(a, "--lib-unique")) opt.lib_unique = 1;
    else if (!strcmp(a, "--random-unique")) opt.random_unique = 1;
    else usage();
#undef NEXT
  }
  if (!opt.scenario || opt.jobs <= 0 || opt.conns <= 0 || opt.batch <= 0 || opt.clients <= 0 ||
      opt.workers <= 0)
    usage();
  if (!opt.fn[0])
    snprintf(opt.fn, sizeof opt.fn, "bench_%s_%d_%ld", opt.scenario, (int)getpid(), (long)time(NULL));
}

/* ------------------------------------------------------------------------------------------ */
/* clocks, process accounting */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double self_cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec * 1e-6;
}

/* CPU figures of one process from /proc/PID/stat, in clock ticks; returns 0 on success. */
typedef struct {
  int ppid;
  unsigned long long ut, st, cut, cst; /* utime stime cutime cstime */
} proc_cpu_t;

static int read_proc_cpu(int pid, proc_cpu_t *pc) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* comm may contain spaces */
  if (!p) return -1;
  long long cut = 0, cst = 0;
  /* after ") ": state(3) ppid(4) pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
   * utime(14) stime(15) cutime(16) cstime(17) */
  if (sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld", &pc->ppid, &pc->ut,
             &pc->st, &cut, &cst) != 5)
    return -1;
  pc->cut = cut > 0 ? (unsigned long long)cut : 0;
  pc->cst = cst > 0 ? (unsigned long long)cst : 0;
  return 0;
}

/* utime+stime of the whole server process (all threads), seconds; -1 when unknown. */
static double server_cpu_s(void) {
  if (opt.server_pid <= 0) return -1;
  proc_cpu_t pc;
  if (read_proc_cpu(opt.server_pid, &pc) != 0) return -1;
  return (double)(pc.ut + pc.st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU of the helper tree: the helper's own time and that of children it has reaped (cutime,
 * cstime), plus the time of its live direct children and of their reaped children. Seconds; -1
 * when unknown. (PostgreSQL's processes are all direct children of the postmaster.) */
static double helper_cpu_s(void) {
  if (opt.helper_pid <= 0) return -1;
  proc_cpu_t root;
  if (read_proc_cpu(opt.helper_pid, &root) != 0) return -1;
  unsigned long long ticks = root.ut + root.st + root.cut + root.cst;
  DIR *d = opendir("/proc");
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    proc_cpu_t pc;
    if (read_proc_cpu(atoi(e->d_name), &pc) == 0 && pc.ppid == opt.helper_pid)
      ticks += pc.ut + pc.st + pc.cut + pc.cst;
  }
  closedir(d);
  return (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

/* Busy CPU time of the whole machine (all cores, incl. steal), seconds; -1 when unknown. Used to
 * show how much CPU something other than the server and this generator took during a run. */
static double machine_busy_s(void) {
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return -1;
  unsigned long long us = 0, ni = 0, sy = 0, id = 0, io = 0, irq = 0, sirq = 0, st = 0;
  int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &us, &ni, &sy, &id, &io, &irq, &sirq, &st);
  fclose(f);
  if (n < 8) return -1;
  return (double)(us + ni + sy + irq + sirq + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU and wall clock at one edge of a timed window. */
typedef struct {
  double t, gen, srv, helper, busy;
} mark_t;

static mark_t mark_now(void) {
  mark_t m;
  m.t = now_s();
  m.gen = self_cpu_s();
  m.srv = server_cpu_s();
  m.helper = helper_cpu_s();
  m.busy = machine_busy_s();
  return m;
}

/* Figures of one timed window; srv_cpu, helper_cpu and other_cpu are -1 when unknown. */
typedef struct {
  double seconds, gen_cpu, srv_cpu, helper_cpu, other_cpu;
} window_t;

/* `end_t` > 0 overrides the wall-clock end (when the last job was seen before `b` was taken). */
static window_t window_between(mark_t a, mark_t b, double end_t) {
  window_t w;
  w.seconds = (end_t > 0 ? end_t : b.t) - a.t;
  w.gen_cpu = b.gen - a.gen;
  w.srv_cpu = (a.srv >= 0 && b.srv >= 0) ? b.srv - a.srv : -1;
  w.helper_cpu = (a.helper >= 0 && b.helper >= 0) ? b.helper - a.helper : -1;
  w.other_cpu = -1;
  if (w.srv_cpu >= 0 && a.busy >= 0 && b.busy >= 0) {
    double other = (b.busy - a.busy) - w.gen_cpu - w.srv_cpu - (w.helper_cpu > 0 ? w.helper_cpu : 0);
    w.other_cpu = other > 0 ? other : 0; /* clock-tick rounding can make it slightly negative */
  }
  return w;
}

/* A "VmRSS:"/"VmHWM:" figure of the server, KiB; -1 when unknown. */
static long server_status_kb(const char *key) {
  if (opt.server_pid <= 0) return -1;
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", opt.server_pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long v = -1;
  size_t kl = strlen(key);
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, key, kl)) {
      v = atol(line + kl);
      break;
    }
  }
  fclose(f);
  return v;
}

/* ------------------------------------------------------------------------------------------ */
/* latency samples */

typedef struct {
  double *v;
  size_t n, cap;
} samples_t;

static void samples_push(samples_t *s, double x) {
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 1024;
    s->v = realloc(s->v, s->cap * sizeof(double));
    if (!s->v) abort();
  }
  s->v[s->n++] = x;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values. */
static double pct(const samples_t *s, double p) {
  if (!s->n) return -1;
  size_t k = (size_t)(p / 100.0 * (double)s->n + 0.999999);
  if (k < 1) k = 1;
  if (k > s->n) k = s->n;
  return s->v[k - 1];
}

static void samples_merge_sort(samples_t *all, samples_t *parts, int nparts) {
  for (int i = 0; i < nparts; i++)
    for (size_t j = 0; j < parts[i].n; j++) samples_push(all, parts[i].v[j]);
  qsort(all->v, all->n, sizeof(double), cmp_double);
}

/* ------------------------------------------------------------------------------------------ */
/* shared run state */

static atomic_long g_done;      /* jobs finished in the current phase */
static atomic_long g_errors;
static atomic_int g_stop;       /* workers: leave the loop */
static atomic_int g_workers_alive;
static double g_deadline;       /* monotonic seconds */
static double g_end_time;       /* set by whoever finishes the last job */
static char *g_payload;
static char g_last_error[256];

static void note_error(const char *where, const char *msg) {
  long n = atomic_fetch_add(&g_errors, 1);
  if (n < 5) fprintf(stderr, "loadgen: %s: %s\n", where, msg ? msg : "?");
  snprintf(g_last_error, sizeof g_last_error, "%s: %s", where, msg ? msg : "?");
}

static void job_finished(void) {
  long d = atomic_fetch_add(&g_done, 1) + 1;
  if (d == opt.jobs) g_end_time = now_s();
}

/* ------------------------------------------------------------------------------------------ */
/* background submission (bg-submit, and the untimed pre-queue of drain) */

typedef struct {
  int id;
  long first, count; /* job sequence range of this thread */
  samples_t lat;     /* per-batch acknowledgement latency, seconds */
  pthread_barrier_t *barrier;
} submit_thread_t;

static void *submit_thread(void *arg) {
  submit_thread_t *t = arg;
  gearman_client_st *c = gearman_client_create(NULL);
  if (!c) {
    note_error("client_create", "NULL");
    pthread_barrier_wait(t->barrier);
    pthread_barrier_wait(t->barrier);
    return NULL;
  }
  gearman_client_add_server(c, opt.host, (in_port_t)opt.port);
  gearman_client_set_timeout(c, opt.timeout_s * 1000);
  /* Connect before the timed window starts. */
  gearman_return_t rc = gearman_client_echo(c, "x", 1);
  if (rc != GEARMAN_SUCCESS) note_error("client_echo", gearman_client_error(c));

  gearman_task_st **tasks = calloc((size_t)opt.batch, sizeof *tasks);
  char(*uniq)[48] = calloc((size_t)opt.batch, sizeof *uniq);
  pthread_barrier_wait(t->barrier); /* ready */
  pthread_barrier_wait(t->barrier); /* go */

  long seq = t->first, end = t->first + t->count;
  unsigned int rng = (unsigned int)(t->id * 2654435761u) ^ (unsigned int)getpid();
  while (seq < end && rc == GEARMAN_SUCCESS) {
    int n = 0;
    for (; n < opt.batch && seq < end; n++, seq++) {
      const char *u = NULL;
      if (opt.random_unique) {
        snprintf(uniq[n], sizeof uniq[n], "%08x%08x%08x%08x", rand_r(&rng), rand_r(&rng), rand_r(&rng), rand_r(&rng));
        u = uniq[n];
      } else if (!opt.lib_unique) {
        snprintf(uniq[n], sizeof uniq[n], "%d-%ld", t->id, seq);
        u = uniq[n];
      }
      gearman_return_t arc;
      tasks[n] = gearman_client_add_task_background(c, NULL, NULL, opt.fn, u, g_payload, opt.payload, &arc);
      if (!tasks[n]) {
        note_error("add_task_background", gearman_client_error(c));
        rc = arc;
        break;
      }
    }
    double t0 = now_s();
    gearman_return_t rrc = gearman_client_run_tasks(c);
    double t1 = now_s();
    if (rrc != GEARMAN_SUCCESS) {
      note_error("run_tasks", gearman_client_error(c));
      rc = rrc;
    } else {
      samples_push(&t->lat, t1 - t0);
    }
    for (int i = 0; i < n; i++) {
      if (!tasks[i]) continue;
      if (gearman_task_return(tasks[i]) == GEARMAN_SUCCESS) job_finished();
      else note_error("task", gearman_strerror(gearman_task_return(tasks[i])));
      gearman_task_free(tasks[i]);
    }
    if (now_s() > g_deadline) {
      note_error("bg-submit", "deadline passed");
      break;
    }
  }
  free(tasks);
  free(uniq);
  gearman_client_free(c);
  return NULL;
}

typedef struct {
  window_t w;
  samples_t lat;
} phase_t;

/* Submits opt.jobs background jobs over opt.conns connections; times only the submission. */
static phase_t run_submit_phase(void) {
  phase_t ph = {0};
  int nt = opt.conns;
  submit_thread_t *ts = calloc((size_t)nt, sizeof *ts);
  pthread_t *th = calloc((size_t)nt, sizeof *th);
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, (unsigned)nt + 1);
  atomic_store(&g_done, 0);
  long per = opt.jobs / nt, rest = opt.jobs % nt, first = 0;
  for (int i = 0; i < nt; i++) {
    ts[i].id = i;
    ts[i].first = first;
    ts[i].count = per + (i < rest ? 1 : 0);
    first += ts[i].count;
    ts[i].barrier = &barrier;
    pthread_create(&th[i], NULL, submit_thread, &ts[i]);
  }
  pthread_barrier_wait(&barrier);
  mark_t m0 = mark_now();
  pthread_barrier_wait(&barrier);
  for (int i = 0; i < nt; i++) pthread_join(th[i], NULL);
  ph.w = window_between(m0, mark_now(), 0);
  samples_t parts[nt];
  for (int i = 0; i < nt; i++) parts[i] = ts[i].lat;
  samples_merge_sort(&ph.lat, parts, nt);
  for (int i = 0; i < nt; i++) free(ts[i].lat.v);
  pthread_barrier_destroy(&barrier);
  free(ts);
  free(th);
  return ph;
}

/* ------------------------------------------------------------------------------------------ */
/* workers */

static void *fn_empty(gearman_job_st *job, void *ctx, size_t *size, gearman_return_t *ret) {
  (void)job;
  (void)ctx;
  job_finished();
  *size = 0;
  *ret = GEARMAN_SUCCESS;
  return NULL;
}

static void *fn_echo(gearman_job_st *job, void *ctx, size_t *size, gearman_return_t *ret) {
  (void)ctx;
  size_t n = gearman_job_workload_size(job);
  void *out = malloc(n ? n : 1); /* libgearman frees the result */
  if (n) memcpy(out, gearman_job_workload(job), n);
  *size = n;
  *ret = GEARMAN_SUCCESS;
  return out;
}

typedef struct {
  int id;
  gearman_worker_fn *fn;
  long handled;
  pthread_barrier_t *barrier; /* may be NULL */
} worker_thread_t;

static void *worker_thread(void *arg) {
  worker_thread_t *w = arg;
  gearman_worker_st *wk = gearman_worker_create(NULL);
  if (!wk) {
    atomic_fetch_sub(&g_workers_alive, 1);
    note_error("worker_create", "NULL");
    if (w->barrier) pthread_barrier_wait(w->barrier);
    return NULL;
  }
  gearman_worker_add_server(wk, opt.host, (in_port_t)opt.port);
  gearman_worker_set_timeout(wk, 100); /* wake up to notice g_stop */
  gearman_worker_add_function(wk, opt.fn, 0, w->fn, NULL);
  if (w->barrier) {
    /* Connect (without registering yet) before the timed window. */
    gearman_return_t rc = gearman_worker_echo(wk, "x", 1);
    if (rc != GEARMAN_SUCCESS) note_error("worker_echo", gearman_worker_error(wk));
    pthread_barrier_wait(w->barrier);
  }
  int consecutive_errors = 0;
  while (!atomic_load(&g_stop)) {
    gearman_return_t rc = gearman_worker_work(wk);
    if (rc == GEARMAN_SUCCESS) {
      w->handled++;
      consecutive_errors = 0;
      continue;
    }
    if (rc == GEARMAN_TIMEOUT || rc == GEARMAN_NO_JOBS || rc == GEARMAN_IO_WAIT || rc == GEARMAN_NO_ACTIVE_FDS) {
      if (now_s() > g_deadline) break;
      continue;
    }
    note_error("worker_work", gearman_worker_error(wk));
    if (++consecutive_errors > 20 || now_s() > g_deadline) break;
    usleep(10000);
  }
  atomic_fetch_sub(&g_workers_alive, 1);
  gearman_worker_free(wk);
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* output */

static void print_common(const char *scenario, long jobs, window_t w) {
  double seconds = w.seconds, gen_cpu = w.gen_cpu, srv_cpu = w.srv_cpu;
  printf("{\"type\":\"result\",\"scenario\":\"%s\",\"fn\":\"%s\",\"jobs\":%ld,\"ok\":%ld,\"errors\":%ld,"
         "\"seconds\":%.6f,\"jobs_per_s\":%.1f,\"gen_cpu_s\":%.4f,\"gen_cpu_share\":%.3f,",
         scenario, opt.fn, jobs, atomic_load(&g_done), atomic_load(&g_errors), seconds,
         seconds > 0 ? (double)atomic_load(&g_done) / seconds : 0.0, gen_cpu,
         seconds > 0 ? gen_cpu / seconds : 0.0);
  if (srv_cpu >= 0)
    printf("\"server_cpu_s\":%.4f,\"server_cpu_s_per_100k\":%.4f,", srv_cpu,
           atomic_load(&g_done) ? srv_cpu * 100000.0 / (double)atomic_load(&g_done) : 0.0);
  else
    printf("\"server_cpu_s\":null,\"server_cpu_s_per_100k\":null,");
  if (w.helper_cpu >= 0)
    printf("\"helper_cpu_s\":%.4f,\"helper_cpu_s_per_100k\":%.4f,", w.helper_cpu,
           atomic_load(&g_done) ? w.helper_cpu * 100000.0 / (double)atomic_load(&g_done) : 0.0);
  else
    printf("\"helper_cpu_s\":null,\"helper_cpu_s_per_100k\":null,");
  if (w.other_cpu >= 0 && seconds > 0)
    printf("\"other_cpu_s\":%.4f,\"other_cpu_share\":%.3f,", w.other_cpu, w.other_cpu / seconds);
  else
    printf("\"other_cpu_s\":null,\"other_cpu_share\":null,");
}

static void print_tail(void) {
  printf("\"last_error\":");
  if (g_last_error[0]) {
    putchar('"');
    for (const char *p = g_last_error; *p; p++) {
      if (*p == '"' || *p == '\\') putchar('\\');
      if ((unsigned char)*p >= 0x20) putchar(*p);
    }
    putchar('"');
  } else {
    printf("null");
  }
  printf("}\n");
  fflush(stdout);
}

/* ------------------------------------------------------------------------------------------ */
/* scenarios */

static int scenario_bg_submit(void) {
  phase_t ph = run_submit_phase();
  print_common("bg-submit", opt.jobs, ph.w);
  printf("\"payload\":%zu,\"conns\":%d,\"batch\":%d,\"lat_kind\":\"batch\",\"lat_samples\":%zu,"
         "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,",
         opt.payload, opt.conns, opt.batch, ph.lat.n, pct(&ph.lat, 50) * 1e3, pct(&ph.lat, 90) * 1e3,
         pct(&ph.lat, 99) * 1e3, pct(&ph.lat, 99.9) * 1e3, pct(&ph.lat, 100) * 1e3);
  print_tail();
  free(ph.lat.v);
  return atomic_load(&g_errors) ? 1 : 0;
}

static int scenario_drain(void) {
  long rss0 = server_status_kb("VmRSS:");
  phase_t pre = run_submit_phase();
  long rss1 = server_status_kb("VmRSS:");
  if (atomic_load(&g_errors)) {
    window_t none = {0, 0, -1, -1, -1};
    print_common("drain", opt.jobs, none);
    printf("\"phase\":\"pre-queue\",");
    print_tail();
    return 1;
  }
  fprintf(stderr, "loadgen: drain: %ld jobs queued in %.2f s\n", opt.jobs, pre.w.seconds);
  free(pre.lat.v);

  atomic_store(&g_done, 0);
  atomic_store(&g_stop, 0);
  g_end_time = 0;
  int nw = opt.workers;
  worker_thread_t *ws = calloc((size_t)nw, sizeof *ws);
  pthread_t *th = calloc((size_t)nw, sizeof *th);
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, (unsigned)nw + 1);
  atomic_store(&g_workers_alive, nw);
  for (int i = 0; i < nw; i++) {
    ws[i].id = i;
    ws[i].fn = fn_empty;
    ws[i].barrier = &barrier;
    pthread_create(&th[i], NULL, worker_thread, &ws[i]);
  }
  pthread_barrier_wait(&barrier); /* all connected; registration happens in the first work() */
  mark_t m0 = mark_now();
  /* Wait for the last job (bounded by the deadline). */
  while (atomic_load(&g_done) < opt.jobs && now_s() < g_deadline && atomic_load(&g_workers_alive) > 0)
    usleep(200);
  window_t w = window_between(m0, mark_now(), g_end_time);
  atomic_store(&g_stop, 1);
  for (int i = 0; i < nw; i++) pthread_join(th[i], NULL);
  if (atomic_load(&g_done) < opt.jobs) note_error("drain", "not all jobs were drained before the deadline");
  pthread_barrier_destroy(&barrier);

  print_common("drain", opt.jobs, w);
  printf("\"payload\":%zu,\"workers\":%d,\"prequeue_seconds\":%.3f,", opt.payload, nw, pre.w.seconds);
  if (rss0 >= 0 && rss1 >= 0)
    printf("\"server_rss_before_kb\":%ld,\"server_rss_queued_kb\":%ld,\"rss_per_queued_job_b\":%.1f,", rss0, rss1,
           (double)(rss1 - rss0) * 1024.0 / (double)opt.jobs);
  printf("\"per_worker\":[");
  for (int i = 0; i < nw; i++) printf("%s%ld", i ? "," : "", ws[i].handled);
  printf("],");
  print_tail();
  free(ws);
  free(th);
  return atomic_load(&g_errors) ? 1 : 0;
}

typedef struct {
  int id;
  long count;
  samples_t lat;
  pthread_barrier_t *barrier;
} fg_client_t;

static void *fg_client_thread(void *arg) {
  fg_client_t *t = arg;
  gearman_client_st *c = gearman_client_create(NULL);
  gearman_client_add_server(c, opt.host, (in_port_t)opt.port);
  gearman_client_set_timeout(c, opt.timeout_s * 1000);
  char uniq[48];
  /* Warm-up round trip: connects and proves a worker is registered. */
  size_t n = 0;
  gearman_return_t rc;
  snprintf(uniq, sizeof uniq, "w%d", t->id);
  void *r = gearman_client_do(c, opt.fn, opt.lib_unique ? NULL : uniq, g_payload, opt.payload, &n, &rc);
  free(r);
  if (rc != GEARMAN_SUCCESS) note_error("warm-up do", gearman_client_error(c));
  pthread_barrier_wait(t->barrier); /* ready */
  pthread_barrier_wait(t->barrier); /* go */
  for (long i = 0; i < t->count && rc == GEARMAN_SUCCESS; i++) {
    snprintf(uniq, sizeof uniq, "%d-%ld", t->id, i);
    double t0 = now_s();
    r = gearman_client_do(c, opt.fn, opt.lib_unique ? NULL : uniq, g_payload, opt.payload, &n, &rc);
    double t1 = now_s();
    if (rc != GEARMAN_SUCCESS) {
      note_error("do", gearman_client_error(c));
    } else if (n != opt.payload || (n && memcmp(r, g_payload, n))) {
      note_error("do", "result differs from the workload");
    } else {
      samples_push(&t->lat, t1 - t0);
      job_finished();
    }
    free(r);
    if (t1 > g_deadline) {
      note_error("fg-echo", "deadline passed");
      break;
    }
  }
  gearman_client_free(c);
  return NULL;
}

static int scenario_fg_echo(void) {
  int nw = opt.workers, nc = opt.clients;
  atomic_store(&g_stop, 0);
  worker_thread_t *ws = calloc((size_t)nw, sizeof *ws);
  pthread_t *wth = calloc((size_t)nw, sizeof *wth);
  atomic_store(&g_workers_alive, nw);
  for (int i = 0; i < nw; i++) {
    ws[i].id = i;
    ws[i].fn = fn_echo;
    pthread_create(&wth[i], NULL, worker_thread, &ws[i]);
  }
  fg_client_t *cs = calloc((size_t)nc, sizeof *cs);
  pthread_t *cth = calloc((size_t)nc, sizeof *cth);
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, (unsigned)nc + 1);
  long per = opt.jobs / nc, rest = opt.jobs % nc;
  for (int i = 0; i < nc; i++) {
    cs[i].id = i;
    cs[i].count = per + (i < rest ? 1 : 0);
    cs[i].barrier = &barrier;
    pthread_create(&cth[i], NULL, fg_client_thread, &cs[i]);
  }
  pthread_barrier_wait(&barrier);
  atomic_store(&g_done, 0);
  mark_t m0 = mark_now();
  pthread_barrier_wait(&barrier);
  for (int i = 0; i < nc; i++) pthread_join(cth[i], NULL);
  window_t w = window_between(m0, mark_now(), 0);
  atomic_store(&g_stop, 1);
  for (int i = 0; i < nw; i++) pthread_join(wth[i], NULL);
  pthread_barrier_destroy(&barrier);

  samples_t all = {0}, parts[nc];
  for (int i = 0; i < nc; i++) parts[i] = cs[i].lat;
  samples_merge_sort(&all, parts, nc);
  print_common("fg-echo", opt.jobs, w);
  printf("\"payload\":%zu,\"clients\":%d,\"workers\":%d,\"lat_kind\":\"job\",\"lat_samples\":%zu,"
         "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,\"per_worker\":[",
         opt.payload, nc, nw, all.n, pct(&all, 50) * 1e3, pct(&all, 90) * 1e3, pct(&all, 99) * 1e3,
         pct(&all, 99.9) * 1e3, pct(&all, 100) * 1e3);
  for (int i = 0; i < nw; i++) printf("%s%ld", i ? "," : "", ws[i].handled);
  printf("],");
  print_tail();
  for (int i = 0; i < nc; i++) free(cs[i].lat.v);
  free(all.v);
  free(cs);
  free(cth);
  free(ws);
  free(wth);
  return atomic_load(&g_errors) ? 1 : 0;
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  g_deadline = now_s() + opt.timeout_s;
  g_payload = malloc(opt.payload ? opt.payload : 1);
  for (size_t i = 0; i < opt.payload; i++) g_payload[i] = (char)('a' + i % 26);

  if (!strcmp(opt.scenario, "bg-submit")) return scenario_bg_submit();
  if (!strcmp(opt.scenario, "drain")) return scenario_drain();
  if (!strcmp(opt.scenario, "fg-echo")) return scenario_fg_echo();
  usage();
  return 2;
}

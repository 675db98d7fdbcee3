// The C side of Wick's Lua host.
//
// Swift cannot import Lua's function-like macros, so they are wrapped here as static inline
// functions. More importantly, every path on which Lua may `longjmp` (lua_error, the instruction
// budget hook, allocation failure under the memory cap) lives in C: no Swift frame may sit between
// a Lua error and the lua_pcall that catches it (see DESIGN.md, "Crossing the C boundary safely").
#ifndef WICK_CLUA_SHIM_H
#define WICK_CLUA_SHIM_H

#include "lua.h"
#include "lualib.h"
#include "lauxlib.h"
#include "wick_candle.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// Host functions are Swift functions behind one C trampoline. They return the number of results
/// pushed, or -1 after pushing an error message; the trampoline raises it once Swift has returned.
typedef int (*wick_dispatch_fn)(lua_State *L, void *host, int function_id);

/// A host indicator's update, called straight from its C closure (the per-candle fast path):
/// returns 1 with the value in *out, or 0 while the indicator is warming up. It must not touch
/// the Lua state.
typedef int (*wick_indicator_fn)(void *indicator, double a, double b, double c, double *out);

/// The same for indicators of up to 5 inputs and 4 outputs (`wick.macd`, `wick.vwap`, ...):
/// reads `in`, writes the outputs to `out` and returns how many (0 while warming up).
typedef int (*wick_multi_indicator_fn)(void *indicator, const double *in, double *out);

/// Why a callback was stopped; the first limit to trip is kept until the host has its error back.
/// Default step budget of one pattern-matching call (about 0.3 s in a release build).
#define WICK_PATTERN_STEPS 50000000LL

#define WICK_TRIP_NONE 0
#define WICK_TRIP_MEMORY 1
#define WICK_TRIP_TIME 2
#define WICK_TRIP_STUCK 3

/// Which host call is running, for the watchdog's report.
#define WICK_CALLBACK_LOAD 0
#define WICK_CALLBACK_INIT 1
#define WICK_CALLBACK_ON_CANDLE 2
#define WICK_CALLBACK_ON_BARS 3

/// The signal the watchdog sends to a thread whose callback overran (ignored by default, unused
/// by the Swift runtime; Go picked it for goroutine preemption for the same reasons).
#define WICK_WATCHDOG_SIGNAL SIGURG

/// Per-state runtime: memory accounting, the limits and the Swift dispatcher. It is the
/// allocator's user data, so C code reaches it from any lua_State with lua_getallocf.
///
/// Fields marked "shared" are read by the watchdog thread and accessed with __atomic builtins;
/// the others belong to the thread running the state.
typedef struct wick_runtime {
  size_t used;            // bytes currently allocated by this state
  size_t limit;           // memory cap in bytes: crossing it trips the memory limit
  size_t ceiling;         // hard ceiling: the cap plus room for the error path (tracebacks)
  long long pattern_steps; // matching steps one string.find/match/gmatch/gsub call may take
  int enforce;            // 1 while Lua runs under a host pcall; 0 while a Swift frame is live
  int trip;               // WICK_TRIP_*: the first limit that tripped in the current callback
  int memory_tripped;     // the cap was crossed in this callback: allocations now stop at `ceiling`
  int gc_retry;           // refused once so that Lua runs an emergency collection and asks again
  void *retry_ptr;        // ... the refused request, to recognise Lua asking again
  size_t retry_size;
  lua_State *L;
  const char *stuck_in;   // the C function that was running when a limit tripped, or NULL
  char where[200];        // file:line where the limit tripped, "" when unknown
  // Shared with the watchdog.
  unsigned long long generation;       // odd while a callback runs; bumped by the owning thread
  unsigned long long trip_generation;  // set by the watchdog: the generation that overran
  int abandoned;                       // set by the watchdog past the hard deadline
  long long budget_ns;                 // the running callback's wall-clock budget
  int callback;                        // WICK_CALLBACK_*
  int symbol;                          // index of the candle's symbol, -1 when none
  long long candle_time;               // candle open time (epoch ms), 0 when none
  pthread_t thread;                    // the thread running the callback
  pthread_t prepared_thread;           // the last thread that unblocked the watchdog's signal
  int prepared;
  int poll;  // 1: the watchdog's trip is found by a count hook instead of a signal (see WICK_POLL_EVERY)
  wick_dispatch_fn dispatch;
  void *host;
  wick_indicator_fn indicator_update;
  wick_multi_indicator_fn multi_indicator_update;
} wick_runtime;

static inline wick_runtime *wick_runtime_create(size_t limit, size_t ceiling) {
  wick_runtime *rt = (wick_runtime *)calloc(1, sizeof(wick_runtime));
  if (rt == NULL) return NULL;
  rt->limit = limit;
  rt->ceiling = ceiling;
  rt->pattern_steps = WICK_PATTERN_STEPS;
  rt->trip_generation = ~0ULL;  // matches no generation until the watchdog sets it
  rt->symbol = -1;
  return rt;
}
static inline void wick_runtime_destroy(wick_runtime *rt) { free(rt); }

static inline wick_runtime *wick_runtime_of(lua_State *L) {
  void *ud = NULL;
  lua_getallocf(L, &ud);
  return (wick_runtime *)ud;
}

static inline const char *wick_trip_text(int trip) {
  switch (trip) {
    case WICK_TRIP_MEMORY: return "memory limit exceeded";
    case WICK_TRIP_TIME: return "time limit exceeded";
    case WICK_TRIP_STUCK: return "stuck in C code";
    default: return "limit exceeded";
  }
}

/// Records file:line of the innermost Lua frame at or above `level` (no allocation).
static inline void wick_record_where(wick_runtime *rt, lua_State *L, int level) {
  lua_Debug ar;
  if (rt->where[0] != '\0') return;
  for (int tries = 0; tries < 16 && lua_getstack(L, level, &ar); tries++, level++) {
    if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
      snprintf(rt->where, sizeof rt->where, "%s:%d", ar.short_src, ar.currentline);
      return;
    }
  }
}

/// The sticky limit hook. Once a limit has tripped it is armed with a count of 1, so it raises
/// again on every instruction: the script's pcall, xpcall, error handlers and __close methods
/// cannot swallow the error and carry on. The host disarms it when its lua_pcall returns.
static void wick_limit_hook(lua_State *L, lua_Debug *ar) {
  wick_runtime *rt = wick_runtime_of(L);
  if (rt->trip == WICK_TRIP_NONE) {
    if (__atomic_load_n(&rt->trip_generation, __ATOMIC_ACQUIRE) != rt->generation) {
      lua_sethook(L, NULL, 0, 0);  // a late signal for a callback that has already ended
      return;
    }
    rt->trip = WICK_TRIP_TIME;
  }
  if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0) {
    if (rt->where[0] == '\0')
      snprintf(rt->where, sizeof rt->where, "%s:%d", ar->short_src, ar->currentline);
    lua_pushfstring(L, "%s:%d: %s", ar->short_src, ar->currentline, wick_trip_text(rt->trip));
  } else {
    lua_pushstring(L, wick_trip_text(rt->trip));
  }
  lua_error(L);
}

/// Trips a limit (the first one wins) and arms the sticky hook. Safe from the allocator and from
/// C functions: lua_sethook only sets fields (it is async-signal-safe).
static inline void wick_trip(wick_runtime *rt, int why) {
  if (rt->trip == WICK_TRIP_NONE) rt->trip = why;
  lua_sethook(rt->L, wick_limit_hook, LUA_MASKCOUNT, 1);
}

/// Instructions between two looks at the watchdog's verdict in poll mode. Poll mode is for
/// ThreadSanitizer (`make sanitize`), which holds an asynchronous signal until the thread next
/// calls an intercepted libc function, so a pure Lua loop would never see the watchdog's signal.
/// A normal build never polls: a callback costs no hook at all there.
#define WICK_POLL_EVERY 1000

/// The poll-mode hook: raises the time limit once the watchdog has marked this callback overrun,
/// arming the sticky hook exactly as the signal handler would.
static void wick_poll_hook(lua_State *L, lua_Debug *ar) {
  wick_runtime *rt = wick_runtime_of(L);
  if (__atomic_load_n(&rt->trip_generation, __ATOMIC_ACQUIRE) != rt->generation) return;
  wick_trip(rt, WICK_TRIP_TIME);
  wick_limit_hook(L, ar);
}

/// For C functions that loop (the matcher, sort, move): has a limit tripped in this callback,
/// including the watchdog's time limit? Records where and in which function.
static inline int wick_limit_tripped(wick_runtime *rt, lua_State *L, const char *function) {
  if (rt == NULL) return 0;
  if (rt->trip == WICK_TRIP_NONE &&
      __atomic_load_n(&rt->trip_generation, __ATOMIC_RELAXED) != rt->generation)
    return 0;
  if (rt->stuck_in == NULL) rt->stuck_in = function;
  wick_record_where(rt, L, 1);
  wick_trip(rt, WICK_TRIP_TIME);
  return 1;
}

static inline int wick_pattern_time_tripped(struct wick_runtime *rt, lua_State *L, const char *where) {
  return wick_limit_tripped(rt, L, where);
}

static inline long long wick_pattern_step_limit(struct wick_runtime *rt) { return rt->pattern_steps; }

static inline void wick_pattern_stuck(struct wick_runtime *rt, lua_State *L, const char *where) {
  if (rt->stuck_in == NULL) rt->stuck_in = where;
  wick_record_where(rt, L, 1);
  wick_trip(rt, WICK_TRIP_STUCK);
}

static inline void *wick_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  wick_runtime *rt = (wick_runtime *)ud;
  if (ptr == NULL) osize = 0;  // osize then encodes the object type, not a size
  if (nsize == 0) {
    free(ptr);
    rt->used -= osize;
    return NULL;
  }
  // Only enforced while Lua code runs: a refusal raises a Lua error, which must never unwind
  // through a Swift frame. Host calls may overshoot a little; the trampoline checks after them.
  if (rt->enforce && nsize > osize) {
    size_t grow = nsize - osize;
    if (rt->used + grow > rt->limit) {
      if (!rt->memory_tripped) {
        // First refusal: Lua runs an emergency full collection and asks again. Only a request
        // that still does not fit trips the limit, so garbage alone never fails a script. A
        // second over-cap request of any kind also trips it: some callers (luaL_Buffer, stack
        // growth) raise at once instead of asking again.
        if (!rt->gc_retry) {
          rt->gc_retry = 1;
          rt->retry_ptr = ptr;
          rt->retry_size = nsize;
          return NULL;
        }
        rt->memory_tripped = 1;
        wick_trip(rt, WICK_TRIP_MEMORY);
      }
      // Tripped: the hook raises at the next instruction. Small allocations up to the ceiling
      // still succeed, so the error and its traceback can be built.
      if (rt->used + grow > rt->ceiling) return NULL;
    } else if (rt->gc_retry && ptr == rt->retry_ptr && nsize == rt->retry_size) {
      rt->gc_retry = 0;  // the collection made room: the refused request fits now
    }
  }
  void *p = realloc(ptr, nsize);
  if (p == NULL) return NULL;
  rt->used = rt->used - osize + nsize;
  return p;
}

static inline lua_State *wick_newstate(wick_runtime *rt) {
  lua_State *L = lua_newstate(wick_alloc, rt);
  rt->L = L;
  return L;
}

// MARK: The watchdog's side (see WickLua/Watchdog.swift).
//
// No static or thread-local variables here: Swift emits a copy of these inline functions into
// every object file that uses them, so shared state lives in the runtime block instead.

/// glibc's pthread_sigqueue (a GNU extension): a signal carrying a pointer, here the runtime.
extern int pthread_sigqueue(pthread_t thread, int sig, const union sigval value);

/// Runs on the thread of an overrunning callback and arms the sticky hook there, as lua.c arms
/// its interrupt hook from a SIGINT handler. (Arming from the watchdog thread itself would race
/// with the interpreter walking, and the collector freeing, its CallInfo list.) The runtime comes
/// with the signal; the watchdog frees retired runtimes only long after their last signal.
static void wick_on_watchdog_signal(int sig, siginfo_t *info, void *context) {
  (void)sig;
  (void)context;
  if (info == NULL || info->si_code != SI_QUEUE) return;  // not ours (e.g. socket urgent data)
  wick_runtime *rt = (wick_runtime *)info->si_value.sival_ptr;
  if (rt == NULL || !pthread_equal(rt->thread, pthread_self())) return;
  unsigned long long generation = rt->generation;
  if ((generation & 1) && __atomic_load_n(&rt->trip_generation, __ATOMIC_ACQUIRE) == generation) {
    int saved = errno;
    lua_sethook(rt->L, wick_limit_hook, LUA_MASKCOUNT, 1);
    errno = saved;
  }
}

static inline int wick_install_watchdog_signal(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = wick_on_watchdog_signal;
  sa.sa_flags = SA_RESTART | SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  return sigaction(WICK_WATCHDOG_SIGNAL, &sa, NULL);
}

/// libdispatch's worker threads (Swift concurrency, test runners) block most signals: unblock
/// the watchdog's on each thread that runs this state (a syscall only when the thread changes).
static inline void wick_prepare_thread(wick_runtime *rt, pthread_t self) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, WICK_WATCHDOG_SIGNAL);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  rt->prepared_thread = self;
  rt->prepared = 1;
}

/// The watchdog: the current generation (odd while a callback runs).
static inline unsigned long long wick_watch_generation(wick_runtime *rt) {
  return __atomic_load_n(&rt->generation, __ATOMIC_ACQUIRE);
}
static inline long long wick_watch_budget(wick_runtime *rt) {
  return __atomic_load_n(&rt->budget_ns, __ATOMIC_RELAXED);
}
static inline int wick_watch_callback(wick_runtime *rt) { return __atomic_load_n(&rt->callback, __ATOMIC_RELAXED); }
static inline int wick_watch_symbol(wick_runtime *rt) { return __atomic_load_n(&rt->symbol, __ATOMIC_RELAXED); }
static inline long long wick_watch_candle_time(wick_runtime *rt) {
  return __atomic_load_n(&rt->candle_time, __ATOMIC_RELAXED);
}

/// The watchdog: generation `generation` overran its budget. Marks it and signals its thread,
/// which arms the sticky hook. Called again on every tick until the callback ends (a signal can
/// land while the interpreter clears its trap flag).
static inline void wick_watch_trip(wick_runtime *rt, unsigned long long generation) {
  __atomic_store_n(&rt->trip_generation, generation, __ATOMIC_RELEASE);
  if (!rt->poll && __atomic_load_n(&rt->generation, __ATOMIC_ACQUIRE) == generation) {
    union sigval value;
    value.sival_ptr = rt;
    pthread_sigqueue(rt->thread, WICK_WATCHDOG_SIGNAL, value);
  }
}

/// The watchdog: past the hard deadline. The host gives up on this state.
static inline void wick_watch_abandon(wick_runtime *rt) { __atomic_store_n(&rt->abandoned, 1, __ATOMIC_RELEASE); }
static inline int wick_abandoned(wick_runtime *rt) { return __atomic_load_n(&rt->abandoned, __ATOMIC_ACQUIRE); }

/// The host: what the next callback is and how long it may run.
static inline void wick_set_budget(wick_runtime *rt, long long budget_ns) {
  __atomic_store_n(&rt->budget_ns, budget_ns, __ATOMIC_RELAXED);
}
static inline void wick_set_callback(wick_runtime *rt, int callback, int symbol, long long candle_time) {
  __atomic_store_n(&rt->callback, callback, __ATOMIC_RELAXED);
  __atomic_store_n(&rt->symbol, symbol, __ATOMIC_RELAXED);
  __atomic_store_n(&rt->candle_time, candle_time, __ATOMIC_RELAXED);
}
/// The per-candle form: only the candle changes.
static inline void wick_set_candle(wick_runtime *rt, int symbol, long long candle_time) {
  __atomic_store_n(&rt->symbol, symbol, __ATOMIC_RELAXED);
  __atomic_store_n(&rt->candle_time, candle_time, __ATOMIC_RELAXED);
}

static inline int wick_trampoline(lua_State *L) {
  wick_runtime *rt = wick_runtime_of(L);
  int fn = (int)lua_tointeger(L, lua_upvalueindex(1));
  int saved = rt->enforce;
  rt->enforce = 0;
  int n = rt->dispatch(L, rt->host, fn);
  rt->enforce = saved;
  if (n < 0) return lua_error(L);
  if (saved && rt->used > rt->limit) {
    rt->memory_tripped = 1;
    wick_trip(rt, WICK_TRIP_MEMORY);
    return luaL_error(L, "memory limit exceeded");
  }
  return n;
}

/// Pushes host function `function_id` as a Lua C closure.
static inline void wick_push_host_function(lua_State *L, int function_id) {
  lua_pushinteger(L, function_id);
  lua_pushcclosure(L, wick_trampoline, 1);
}

/// Pushes host function `function_id` bound to `object` (e.g. an indicator's index): the Swift
/// side reads it back with `wick_bound_object`, so a method call needs no lookup of `self`.
static inline void wick_push_bound_host_function(lua_State *L, int function_id, lua_Integer object) {
  lua_pushinteger(L, function_id);
  lua_pushinteger(L, object);
  lua_pushcclosure(L, wick_trampoline, 2);
}

/// The object a bound host function was created with (0 for unbound functions).
static inline lua_Integer wick_bound_object(lua_State *L) {
  return lua_tointegerx(L, lua_upvalueindex(2), NULL);
}

/// `ind:update(...)` for indicators of one, two and three inputs (wick_indicator.c): one C
/// closure per arity, the indicator's address as its upvalue.
int wick_indicator_update1(lua_State *L);
int wick_indicator_update2(lua_State *L);
int wick_indicator_update3(lua_State *L);

/// Pushes the `update` closure of the indicator behind `indicator` (kept alive by the host).
static inline void wick_push_indicator_update(lua_State *L, void *indicator, int arity) {
  lua_pushlightuserdata(L, indicator);
  lua_pushcclosure(L, arity == 3 ? wick_indicator_update3 : arity == 2 ? wick_indicator_update2 : wick_indicator_update1, 1);
}

/// `ind:update(...)` for indicators of up to 5 inputs and 4 outputs; upvalues: the indicator's
/// address, its input count and the call's signature for error messages ("wick.macd:update(close)").
int wick_indicator_update_multi(lua_State *L);

static inline void wick_push_multi_indicator_update(lua_State *L, void *indicator, int inputs,
                                                    const char *signature) {
  lua_pushlightuserdata(L, indicator);
  lua_pushinteger(L, inputs);
  lua_pushstring(L, signature);
  lua_pushcclosure(L, wick_indicator_update_multi, 3);
}

/// Pops the positions table (symbol -> position table, or false when flat), the default symbol
/// (nil when the run trades several) and the traded symbols as one string, and pushes
/// `ctx.position` over them (wick_position.c).
void wick_push_position(lua_State *L);

/// Runs a host callback in protected mode with the limits enforced. Per call this costs a few
/// plain stores (no syscall, no lock): the generation goes odd, the watchdog may notice it stays
/// odd past the budget, and goes even again when control is back in the host. The sticky hook,
/// if a limit armed it, is removed here: the limit stayed tripped until this very point.
static inline void wick_clear_trip(wick_runtime *rt) {
  rt->trip = WICK_TRIP_NONE;
  rt->memory_tripped = 0;
  rt->gc_retry = 0;
  rt->stuck_in = NULL;
  rt->where[0] = '\0';
}

static inline int wick_pcall_runtime(wick_runtime *rt, lua_State *L, int nargs, int nresults, int msgh) {
  pthread_t self = pthread_self();
  if (__builtin_expect(!rt->prepared || !pthread_equal(rt->prepared_thread, self), 0))
    wick_prepare_thread(rt, self);
  if (__builtin_expect(rt->trip != WICK_TRIP_NONE || rt->memory_tripped || rt->gc_retry, 0))
    wick_clear_trip(rt);
  rt->thread = self;
  rt->enforce = 1;
  unsigned long long running = rt->generation + 1;
  __atomic_store_n(&rt->generation, running, __ATOMIC_RELEASE);
  if (__builtin_expect(rt->poll, 0)) lua_sethook(L, wick_poll_hook, LUA_MASKCOUNT, WICK_POLL_EVERY);
  int status = lua_pcall(L, nargs, nresults, msgh);
  __atomic_store_n(&rt->generation, running + 1, __ATOMIC_RELEASE);
  rt->enforce = 0;
  // The hook is armed only after a trip, by the watchdog's signal for this very call, or to poll.
  if (__builtin_expect(rt->trip != WICK_TRIP_NONE || rt->poll ||
                       __atomic_load_n(&rt->trip_generation, __ATOMIC_RELAXED) == running, 0))
    lua_sethook(L, NULL, 0, 0);
  return status;
}

/// The per-candle callback in one call from the host (wick_candle.c): stores the candle into the
/// table at stack index `candle` (see wick_candle_store), then calls the function at `function`
/// with the values at `ctx` and `candle` as wick_pcall_runtime does, `handler` as the message
/// handler. Returns the call's status, the error on the stack when it is not LUA_OK.
int wick_candle_deliver(wick_runtime *rt, lua_State *L, wick_candle_slots *slots, int handler,
                        int function, int ctx, int candle, lua_Integer time, lua_Number open,
                        lua_Number high, lua_Number low, lua_Number close, lua_Number volume);

static inline int wick_pcall(lua_State *L, int nargs, int nresults, int msgh) {
  return wick_pcall_runtime(wick_runtime_of(L), L, nargs, nresults, msgh);
}

/// A protected call made from inside a host function (e.g. `require` running a plugin): the
/// limits stay enforced and the current callback's budget keeps running.
static inline int wick_pcall_nested(lua_State *L, int nargs, int nresults, int msgh) {
  wick_runtime *rt = wick_runtime_of(L);
  int saved = rt->enforce;
  rt->enforce = 1;
  int status = lua_pcall(L, nargs, nresults, msgh);
  rt->enforce = saved;
  return status;
}

static inline int wick_loadtext(lua_State *L, const char *buf, size_t size, const char *chunkname) {
  wick_runtime *rt = wick_runtime_of(L);
  rt->enforce = 1;
  int status = luaL_loadbufferx(L, buf, size, chunkname, "t");
  rt->enforce = 0;
  return status;
}

/// Message handler for wick_pcall: appends a traceback so errors name file:line of each frame.
static inline int wick_traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}
static inline void wick_push_traceback_handler(lua_State *L) { lua_pushcfunction(L, wick_traceback); }

/// Pushes "file:line:" of the Lua function `level` frames up (for host-function error messages).
static inline void wick_where(lua_State *L, int level) { luaL_where(L, level); }

// Macro wrappers.
static inline int wick_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int wick_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline void wick_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void wick_newtable(lua_State *L) { lua_newtable(L); }
static inline double wick_tonumber(lua_State *L, int i) { return lua_tonumberx(L, i, NULL); }
static inline lua_Integer wick_tointeger(lua_State *L, int i) { return lua_tointegerx(L, i, NULL); }
static inline const char *wick_tostring(lua_State *L, int i) { return lua_tolstring(L, i, NULL); }
static inline int wick_isnoneornil(lua_State *L, int i) { return lua_type(L, i) <= 0; }
static inline void wick_insert(lua_State *L, int i) { lua_insert(L, i); }
static inline void wick_remove(lua_State *L, int i) { lua_remove(L, i); }
static inline void wick_replace(lua_State *L, int i) { lua_replace(L, i); }
static inline void *wick_newuserdata(lua_State *L, size_t size) { return lua_newuserdatauv(L, size, 0); }
static inline int wick_getglobal_table(lua_State *L) { return lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS); }
static inline void wick_open_library(lua_State *L, const char *name, lua_CFunction open) {
  luaL_requiref(L, name, open, 1);
  lua_pop(L, 1);
}
static inline void wick_open_safe_libraries(lua_State *L) {
  wick_open_library(L, LUA_GNAME, luaopen_base);
  wick_open_library(L, LUA_STRLIBNAME, luaopen_string);
  wick_open_library(L, LUA_TABLIBNAME, luaopen_table);
  wick_open_library(L, LUA_MATHLIBNAME, luaopen_math);
  wick_open_library(L, LUA_UTF8LIBNAME, luaopen_utf8);
}
/// Sets the first upvalue (_ENV) of the function on top of the stack to the table at `env`.
static inline void wick_set_env(lua_State *L, int env) {
  lua_pushvalue(L, env);
  lua_setupvalue(L, -2, 1);
}

// MARK: Library functions the sandbox replaces (see WickLua/Sandbox.swift for the policy).

/// Sets field `name` of the table on the stack top to `fn`, a closure over the runtime `rt`
/// (upvalue 1) and, when `library` is given, that library's original `name` (upvalue 2), which
/// the replacement wraps.
static inline void wick_set_sandbox_function(lua_State *L, struct wick_runtime *rt, const char *name,
                                             lua_CFunction fn, const char *library) {
  lua_pushlightuserdata(L, rt);
  if (library != NULL) {
    lua_getglobal(L, library);
    lua_getfield(L, -1, name);
    lua_remove(L, -2);
  }
  lua_pushcclosure(L, fn, library != NULL ? 2 : 1);
  lua_setfield(L, -2, name);
}

#include "wick_pattern.h"

/// Lua's checktab: a table, or a value whose metatable provides the metamethods the function
/// needs (__index to read, __newindex to write, __len for the length).
static void wick_check_table(lua_State *L, int arg, int read, int write, int length) {
  if (lua_type(L, arg) == LUA_TTABLE) return;
  int n = 1;
  if (lua_getmetatable(L, arg) &&
      (!read || (lua_pushliteral(L, "__index"), ++n, lua_rawget(L, -n) != LUA_TNIL)) &&
      (!write || (lua_pushliteral(L, "__newindex"), ++n, lua_rawget(L, -n) != LUA_TNIL)) &&
      (!length || (lua_pushliteral(L, "__len"), ++n, lua_rawget(L, -n) != LUA_TNIL))) {
    lua_pop(L, n);
  } else {
    luaL_checktype(L, arg, LUA_TTABLE);
  }
}

#include "wick_sort.h"


/// setmetatable without finalizers: Lua 5.4 marks an object for finalization only if its
/// metatable has a `__gc` field when it is set, and runs finalizers with hooks off, where no
/// limit can stop them. Otherwise exactly the base library's setmetatable.
static int wick_sandbox_setmetatable(lua_State *L) {
  int t = lua_type(L, 2);
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
  if (t == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL)
      return luaL_error(L, "setmetatable: a metatable with '__gc' is not allowed in the Wick sandbox "
                           "(finalizers run with the time limit off)");
    lua_pop(L, 1);
  }
  if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
    return luaL_error(L, "cannot change a protected metatable");
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

/// string.rep: Lua's loops n times even when the result is empty (string.rep("", 1e15) spins
/// in C for days); any other result is bounded by the memory cap before the loop starts.
static int wick_sandbox_string_rep(lua_State *L) {
  size_t l, lsep;
  luaL_checklstring(L, 1, &l);
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &lsep);
  if (n > 0 && l + lsep == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  return lua_tocfunction(L, lua_upvalueindex(2))(L);
}

/// The message handler xpcall really installs: once a limit has tripped, the script's handler is
/// skipped and the error passes through. (An error raised from a hook leaves hooks off until the
/// catching pcall returns, so a script's handler would otherwise run, and could loop, unlimited.)
static int wick_sandbox_xpcall_handler(lua_State *L) {
  wick_runtime *rt = (wick_runtime *)lua_touserdata(L, lua_upvalueindex(1));
  if (rt != NULL && (rt->trip != WICK_TRIP_NONE ||
                     __atomic_load_n(&rt->trip_generation, __ATOMIC_RELAXED) == rt->generation))
    return 1;
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

/// xpcall(f, handler, ...) with the handler wrapped as above.
static int wick_sandbox_xpcall(lua_State *L) {
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 2);
  lua_pushcclosure(L, wick_sandbox_xpcall_handler, 2);
  lua_replace(L, 2);
  return lua_tocfunction(L, lua_upvalueindex(2))(L);
}

/// table.move as Lua 5.4 defines it, but checking the limits as it goes: moving nils between
/// plain tables allocates nothing, so table.move({}, 1, 1e15, 1) would loop in C for days.
static int wick_sandbox_table_move(lua_State *L) {
  wick_runtime *rt = (wick_runtime *)lua_touserdata(L, lua_upvalueindex(1));
  lua_Integer f = luaL_checkinteger(L, 2);
  lua_Integer e = luaL_checkinteger(L, 3);
  lua_Integer t = luaL_checkinteger(L, 4);
  int tt = !lua_isnoneornil(L, 5) ? 5 : 1;
  wick_check_table(L, 1, 1, 0, 0);
  wick_check_table(L, tt, 0, 1, 0);
  if (e >= f) {
    luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
    lua_Integer n = e - f + 1;
    luaL_argcheck(L, t <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
    int forward = t > e || t <= f || (tt != 1 && !lua_compare(L, 1, tt, LUA_OPEQ));
    for (lua_Integer k = 0; k < n; k++) {
      lua_Integer i = forward ? k : n - 1 - k;
      if ((k & 4095) == 4095 && wick_limit_tripped(rt, L, "table.move"))
        return luaL_error(L, "time limit exceeded: stuck in table.move");
      lua_geti(L, 1, f + i);
      lua_seti(L, tt, t + i);
    }
  }
  lua_pushvalue(L, tt);
  return 1;
}

/// Pushes the sandbox's replacements as a table: the bounded pattern functions and
/// { rep, sort, move, setmetatable, xpcall }. `rep` and `xpcall` wrap the string and base libraries'
/// originals, which must be open.
static inline void wick_push_sandbox_library(lua_State *L, wick_runtime *rt) {
  wick_push_bounded_patterns(L, rt);
  wick_set_sandbox_function(L, rt, "rep", wick_sandbox_string_rep, LUA_STRLIBNAME);
  wick_set_sandbox_function(L, rt, "sort", wick_sandbox_table_sort, NULL);
  wick_set_sandbox_function(L, rt, "move", wick_sandbox_table_move, NULL);
  wick_set_sandbox_function(L, rt, "xpcall", wick_sandbox_xpcall, LUA_GNAME);
  lua_pushcfunction(L, wick_sandbox_setmetatable);
  lua_setfield(L, -2, "setmetatable");
}

#endif

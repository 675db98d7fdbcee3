// The vendored Lua compiled as one translation unit, as Lua's own onelua.c does (the files
// themselves are unchanged and excluded from the target in Package.swift). The compiler can then
// inline the table lookups, calls and returns the interpreter makes for every field access and
// function call (luaH_getshortstr, luaD_precall, luaD_poscall, ...): a strategy's per-candle call
// runs about a tenth fewer instructions than with one object file per source file.
#include "lprefix.h"

// Under ThreadSanitizer (`make sanitize`), Lua throws with ISO C's setjmp/longjmp instead of
// POSIX's _setjmp/_longjmp: TSan intercepts `_setjmp` but not `_longjmp`, so it never saw a Lua
// error unwind. Every error then left the unwound frames on TSan's fixed-size shadow stack, which
// overflowed into TSan's own trace memory after enough errors (a SEGV inside its allocator, or a
// hang in its crash handler) and made every later call slower. In glibc both pairs skip the
// signal mask here (`setjmp` is `_setjmp`), so only the interception differs.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WICK_LUA_UNDER_TSAN 1
#endif
#endif
#if defined(WICK_LUA_UNDER_TSAN) || defined(__SANITIZE_THREAD__)
#include <setjmp.h>
#define LUAI_THROW(L, c) longjmp((c)->b, 1)
#define LUAI_TRY(L, c, a) \
  if (setjmp((c)->b) == 0) { a }
#define luai_jmpbuf jmp_buf
#endif

// The core, in onelua.c's order.
#include "lzio.c"
#include "lctype.c"
#include "lopcodes.c"
#include "lmem.c"
#include "lundump.c"
#include "ldump.c"
#include "lstate.c"
#include "lgc.c"
#include "llex.c"
#include "lcode.c"
#include "lparser.c"
#include "ldebug.c"
#include "lfunc.c"
#include "lobject.c"
#include "ltm.c"
#include "lstring.c"
#include "ltable.c"
#include "ldo.c"
#include "lvm.c"
#include "lapi.c"

// The auxiliary and standard libraries (the sandbox opens only some of them).
#include "lauxlib.c"
#include "lbaselib.c"
#include "lcorolib.c"
#include "ldblib.c"
#include "liolib.c"
#include "lmathlib.c"
#include "loadlib.c"
#include "loslib.c"
#include "lstrlib.c"
#include "ltablib.c"
#include "lutf8lib.c"
#include "linit.c"

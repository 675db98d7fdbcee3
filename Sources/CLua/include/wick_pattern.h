// A bounded Lua 5.4 pattern matcher for the sandbox's string.find, match, gmatch and gsub.
//
// Lua's own matcher (lstrlib.c) backtracks in C, where no hook can fire: a pattern such as
// ".-.-.-.-.-.-.-.-b" against 5,000 "a"s runs for hours. This one follows the same Lua 5.4
// semantics (same backtracking order, same captures, same error messages; a differential test
// compares it with the stock functions) but counts its steps: past `WICK_PATTERN_STEPS` steps in
// one call, or once the callback's time budget has tripped, it raises "stuck in string.find".
// Plain searches (no special characters, or find's `plain` flag) use glibc's memmem, which is
// linear in the subject's length, where Lua's lmemfind is O(subject × pattern).
#ifndef WICK_PATTERN_H
#define WICK_PATTERN_H

#include <ctype.h>
#include <string.h>

#ifndef WICK_PATTERN_STEPS
#define WICK_PATTERN_STEPS 50000000LL
#endif
#define WICK_PATTERN_MAXCAPTURES 32  /* LUA_MAXCAPTURES */
#define WICK_PATTERN_MAXDEPTH 200    /* lstrlib's MAXCCALLS: "pattern too complex" */
#define WICK_CAP_UNFINISHED (-1)
#define WICK_CAP_POSITION (-2)

/* glibc's memmem (two-way algorithm, linear time); declared here so no feature macro is needed. */
extern void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);

/* Included by shim.h after the runtime: wick_pattern_time_tripped (has the callback's time limit
   tripped?), wick_pattern_stuck (trip the sticky "stuck" limit), wick_pattern_step_limit and
   wick_set_sandbox_function come from there. */

typedef struct wick_match {
  const char *subject, *subject_end;  /* the whole subject */
  const char *pattern_end;
  lua_State *L;
  struct wick_runtime *rt;            /* NULL outside a sandbox (the differential test) */
  const char *function;               /* "string.find", ... for the error message */
  long long steps, step_limit;
  int depth;                          /* recursion left before "pattern too complex" */
  int level;                          /* captures opened so far */
  struct { const char *start; ptrdiff_t len; } capture[WICK_PATTERN_MAXCAPTURES];
} wick_match;

/* One unit of work: every 4096 steps also look at the wall-clock trip. */
static inline void wick_match_step(wick_match *m) {
  if ((++m->steps & 4095) != 0) return;
  if (m->rt != NULL && wick_pattern_time_tripped(m->rt, m->L, m->function))
    luaL_error(m->L, "time limit exceeded: stuck in %s", m->function);
  if (m->steps > m->step_limit) {
    if (m->rt != NULL) wick_pattern_stuck(m->rt, m->L, m->function);
    luaL_error(m->L, "stuck in %s: the pattern needs more than %I matching steps (it backtracks "
               "too much; anchor it or make it less ambiguous)", m->function, (lua_Integer)m->step_limit);
  }
}

/* %a, %d, ... (upper case: the complement); any other character stands for itself. */
static int wick_class_matches(int c, int class_char) {
  int yes;
  switch (tolower(class_char)) {
    case 'a': yes = isalpha(c); break;
    case 'c': yes = iscntrl(c); break;
    case 'd': yes = isdigit(c); break;
    case 'g': yes = isgraph(c); break;
    case 'l': yes = islower(c); break;
    case 'p': yes = ispunct(c); break;
    case 's': yes = isspace(c); break;
    case 'u': yes = isupper(c); break;
    case 'w': yes = isalnum(c); break;
    case 'x': yes = isxdigit(c); break;
    case 'z': yes = (c == 0); break;  /* deprecated in 5.2, still accepted by 5.4 */
    default: return class_char == c;
  }
  return isupper(class_char) ? !yes : (yes != 0);
}

/* A set `[...]` from `open` (the '[') to `close` (its ']'). */
static int wick_set_matches(int c, const char *open, const char *close) {
  int found = 1;
  const char *p = open + 1;
  if (*p == '^') {
    found = 0;
    p++;
  }
  for (; p < close; p++) {
    if (*p == '%') {
      p++;
      if (wick_class_matches(c, (unsigned char)*p)) return found;
    } else if (p[1] == '-' && p + 2 < close) {
      if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2]) return found;
      p += 2;
    } else if ((unsigned char)*p == c) {
      return found;
    }
  }
  return !found;
}

/* The end of the single-character class starting at `p` (where a quantifier may follow). */
static const char *wick_class_end(wick_match *m, const char *p) {
  char first = *p++;
  if (first == '%') {
    if (p == m->pattern_end) luaL_error(m->L, "malformed pattern (ends with '%%')");
    return p + 1;
  }
  if (first == '[') {
    if (*p == '^') p++;
    /* The first character of a set is never its end, so "[]]" is the set of ']'. */
    do {
      if (p == m->pattern_end) luaL_error(m->L, "malformed pattern (missing ']')");
      char c = *p++;
      if (c == '%' && p < m->pattern_end) p++;
    } while (*p != ']');
    return p + 1;
  }
  return p;
}

/* Does the character at `s` match the class [p, class_end)? */
static int wick_single_matches(wick_match *m, const char *s, const char *p, const char *class_end) {
  if (s >= m->subject_end) return 0;
  int c = (unsigned char)*s;
  switch (*p) {
    case '.': return 1;
    case '%': return wick_class_matches(c, (unsigned char)p[1]);
    case '[': return wick_set_matches(c, p, class_end - 1);
    default: return (unsigned char)*p == c;
  }
}

static const char *wick_do_match(wick_match *m, const char *s, const char *p);

static const char *wick_match_balance(wick_match *m, const char *s, const char *p) {
  if (p >= m->pattern_end - 1) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
  /* Like Lua, this looks at the subject's terminating '\0' when s is at its end. */
  if (*s != *p) return NULL;
  char open = p[0], close = p[1];
  int depth = 1;
  while (++s < m->subject_end) {
    wick_match_step(m);
    if (*s == close) {
      if (--depth == 0) return s + 1;
    } else if (*s == open) {
      depth++;
    }
  }
  return NULL;
}

/* Greedy repetition: take as many as possible, then give back one at a time. */
static const char *wick_max_expand(wick_match *m, const char *s, const char *p, const char *class_end) {
  ptrdiff_t count = 0;
  while (wick_single_matches(m, s + count, p, class_end)) {
    wick_match_step(m);
    count++;
  }
  for (; count >= 0; count--) {
    const char *rest = wick_do_match(m, s + count, class_end + 1);
    if (rest != NULL) return rest;
  }
  return NULL;
}

/* Lazy repetition: try the rest first, then one more. */
static const char *wick_min_expand(wick_match *m, const char *s, const char *p, const char *class_end) {
  for (;;) {
    const char *rest = wick_do_match(m, s, class_end + 1);
    if (rest != NULL) return rest;
    if (!wick_single_matches(m, s, p, class_end)) return NULL;
    s++;
  }
}

static const char *wick_open_capture(wick_match *m, const char *s, const char *p, ptrdiff_t kind) {
  if (m->level >= WICK_PATTERN_MAXCAPTURES) luaL_error(m->L, "too many captures");
  int level = m->level++;
  m->capture[level].start = s;
  m->capture[level].len = kind;
  const char *rest = wick_do_match(m, s, p);
  if (rest == NULL) m->level--;
  return rest;
}

static const char *wick_close_capture(wick_match *m, const char *s, const char *p) {
  int level = m->level - 1;
  while (level >= 0 && m->capture[level].len != WICK_CAP_UNFINISHED) level--;
  if (level < 0) luaL_error(m->L, "invalid pattern capture");
  m->capture[level].len = s - m->capture[level].start;
  const char *rest = wick_do_match(m, s, p);
  if (rest == NULL) m->capture[level].len = WICK_CAP_UNFINISHED;
  return rest;
}

/* %1 .. %9 inside a pattern: the text of an earlier, closed capture. */
static const char *wick_back_reference(wick_match *m, const char *s, int digit) {
  int level = digit - '1';
  if (level < 0 || level >= m->level || m->capture[level].len == WICK_CAP_UNFINISHED)
    luaL_error(m->L, "invalid capture index %%%d", level + 1);
  size_t len = (size_t)m->capture[level].len;
  if ((size_t)(m->subject_end - s) >= len && memcmp(m->capture[level].start, s, len) == 0)
    return s + len;
  return NULL;
}

/* Matches pattern `p` at `s`; returns the end of the match or NULL. Tail positions loop instead
   of recursing, so the recursion depth is the nesting of repetitions and captures. */
static const char *wick_do_match(wick_match *m, const char *s, const char *p) {
  if (m->depth-- == 0) luaL_error(m->L, "pattern too complex");
  for (;;) {
    wick_match_step(m);
    if (p == m->pattern_end) break;
    if (*p == '(') {
      s = p[1] == ')' ? wick_open_capture(m, s, p + 2, WICK_CAP_POSITION)
                      : wick_open_capture(m, s, p + 1, WICK_CAP_UNFINISHED);
      break;
    }
    if (*p == ')') {
      s = wick_close_capture(m, s, p + 1);
      break;
    }
    if (*p == '$' && p + 1 == m->pattern_end) {
      if (s != m->subject_end) s = NULL;
      break;
    }
    if (*p == '%' && p[1] == 'b') {
      s = wick_match_balance(m, s, p + 2);
      if (s == NULL) break;
      p += 4;
      continue;
    }
    if (*p == '%' && p[1] == 'f') {
      p += 2;
      if (*p != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
      const char *set_end = wick_class_end(m, p);
      int before = s == m->subject ? '\0' : (unsigned char)s[-1];
      int here = (unsigned char)*s;  /* '\0' at the subject's end, as in Lua */
      if (!wick_set_matches(before, p, set_end - 1) && wick_set_matches(here, p, set_end - 1)) {
        p = set_end;
        continue;
      }
      s = NULL;
      break;
    }
    if (*p == '%' && isdigit((unsigned char)p[1])) {
      s = wick_back_reference(m, s, (unsigned char)p[1]);
      if (s == NULL) break;
      p += 2;
      continue;
    }
    /* A single-character class with an optional quantifier. */
    const char *class_end = wick_class_end(m, p);
    char quantifier = *class_end;  /* '\0' past the pattern's end */
    if (!wick_single_matches(m, s, p, class_end)) {
      if (quantifier == '*' || quantifier == '?' || quantifier == '-') {
        p = class_end + 1;
        continue;
      }
      s = NULL;
      break;
    }
    if (quantifier == '?') {
      const char *rest = wick_do_match(m, s + 1, class_end + 1);
      if (rest != NULL) {
        s = rest;
        break;
      }
      p = class_end + 1;
      continue;
    }
    if (quantifier == '+') {
      s = wick_max_expand(m, s + 1, p, class_end);
      break;
    }
    if (quantifier == '*') {
      s = wick_max_expand(m, s, p, class_end);
      break;
    }
    if (quantifier == '-') {
      s = wick_min_expand(m, s, p, class_end);
      break;
    }
    s++;
    p = class_end;
  }
  m->depth++;
  return s;
}

static void wick_match_init(wick_match *m, lua_State *L, struct wick_runtime *rt, const char *function,
                            const char *s, size_t ls, const char *p, size_t lp) {
  m->L = L;
  m->rt = rt;
  m->function = function;
  m->subject = s;
  m->subject_end = s + ls;
  m->pattern_end = p + lp;
  m->steps = 0;
  m->step_limit = rt != NULL ? wick_pattern_step_limit(rt) : WICK_PATTERN_STEPS;
  m->depth = WICK_PATTERN_MAXDEPTH;
  m->level = 0;
}

static void wick_match_reset(wick_match *m) {
  m->level = 0;
  m->depth = WICK_PATTERN_MAXDEPTH;
}

/* Capture `i` (or the whole match [s, e) when the pattern has none); pushes a position capture
   and returns WICK_CAP_POSITION, else returns the length and sets *text. */
static ptrdiff_t wick_capture_text(wick_match *m, int i, const char *s, const char *e, const char **text) {
  if (i >= m->level) {
    if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
    *text = s;
    return e - s;
  }
  ptrdiff_t len = m->capture[i].len;
  *text = m->capture[i].start;
  if (len == WICK_CAP_UNFINISHED) luaL_error(m->L, "unfinished capture");
  if (len == WICK_CAP_POSITION) lua_pushinteger(m->L, (m->capture[i].start - m->subject) + 1);
  return len;
}

static void wick_push_capture(wick_match *m, int i, const char *s, const char *e) {
  const char *text;
  ptrdiff_t len = wick_capture_text(m, i, s, e, &text);
  if (len != WICK_CAP_POSITION) lua_pushlstring(m->L, text, (size_t)len);
}

/* Pushes every capture (the whole match when there are none and s != NULL). */
static int wick_push_captures(wick_match *m, const char *s, const char *e) {
  int n = (m->level == 0 && s != NULL) ? 1 : m->level;
  luaL_checkstack(m->L, n, "too many captures");
  for (int i = 0; i < n; i++) wick_push_capture(m, i, s, e);
  return n;
}

/* string.find's init: 1-based, negative counts from the end, clamped like Lua's posrelatI. */
static size_t wick_start_index(lua_Integer pos, size_t len) {
  if (pos > 0) return (size_t)pos;
  if (pos == 0) return 1;
  if (pos < -(lua_Integer)len) return 1;
  return len + (size_t)pos + 1;
}

static int wick_has_specials(const char *p, size_t lp) {
  for (size_t i = 0; i < lp; i++)
    if (strchr("^$*+?.([%-", p[i]) != NULL && p[i] != '\0') return 1;
  return 0;
}

static struct wick_runtime *wick_pattern_runtime(lua_State *L) {
  return (struct wick_runtime *)lua_touserdata(L, lua_upvalueindex(1));
}

static int wick_find_or_match(lua_State *L, int find) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = wick_start_index(luaL_optinteger(L, 3, 1), ls) - 1;
  if (init > ls) {
    luaL_pushfail(L);
    return 1;
  }
  if (find && (lua_toboolean(L, 4) || !wick_has_specials(p, lp))) {
    const char *hit = lp == 0 ? s + init : (const char *)memmem(s + init, ls - init, p, lp);
    if (hit != NULL) {
      lua_pushinteger(L, (hit - s) + 1);
      lua_pushinteger(L, (lua_Integer)((hit - s) + lp));
      return 2;
    }
    luaL_pushfail(L);
    return 1;
  }
  wick_match m;
  const char *start = s + init;
  int anchored = (*p == '^');
  if (anchored) {
    p++;
    lp--;
  }
  wick_match_init(&m, L, wick_pattern_runtime(L), find ? "string.find" : "string.match", s, ls, p, lp);
  do {
    wick_match_reset(&m);
    const char *end = wick_do_match(&m, start, p);
    if (end != NULL) {
      if (!find) return wick_push_captures(&m, start, end);
      lua_pushinteger(L, (start - s) + 1);
      lua_pushinteger(L, end - s);
      return wick_push_captures(&m, NULL, 0) + 2;
    }
    wick_match_step(&m);
  } while (start++ < m.subject_end && !anchored);
  luaL_pushfail(L);
  return 1;
}

static int wick_string_find(lua_State *L) { return wick_find_or_match(L, 1); }
static int wick_string_match(lua_State *L) { return wick_find_or_match(L, 0); }

/* gmatch's iterator state; the subject and pattern strings stay alive as upvalues. */
typedef struct wick_gmatch {
  const char *pattern;
  const char *next;        /* where the next search starts */
  const char *last_match;  /* end of the previous match (an empty match there is skipped) */
  wick_match m;
} wick_gmatch;

static int wick_gmatch_next(lua_State *L) {
  wick_gmatch *g = (wick_gmatch *)lua_touserdata(L, lua_upvalueindex(4));
  g->m.L = L;
  g->m.steps = 0;
  for (const char *src = g->next; src <= g->m.subject_end; src++) {
    wick_match_reset(&g->m);
    const char *end = wick_do_match(&g->m, src, g->pattern);
    if (end != NULL && end != g->last_match) {
      g->next = g->last_match = end;
      return wick_push_captures(&g->m, src, end);
    }
    wick_match_step(&g->m);
  }
  return 0;
}

static int wick_string_gmatch(lua_State *L) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = wick_start_index(luaL_optinteger(L, 3, 1), ls) - 1;
  struct wick_runtime *rt = wick_pattern_runtime(L);
  lua_settop(L, 2);
  wick_gmatch *g = (wick_gmatch *)lua_newuserdatauv(L, sizeof(wick_gmatch), 0);
  if (init > ls) init = ls + 1;  /* past the end: the iterator finds nothing */
  wick_match_init(&g->m, L, rt, "string.gmatch", s, ls, p, lp);
  g->pattern = p;
  g->next = s + init;
  g->last_match = NULL;
  lua_pushlightuserdata(L, rt);
  lua_insert(L, 1);  /* upvalues: runtime, subject, pattern, state */
  lua_pushcclosure(L, wick_gmatch_next, 4);
  return 1;
}

/* gsub with a replacement string: %0..%9 and %%. */
static void wick_add_replacement_text(wick_match *m, luaL_Buffer *b, const char *s, const char *e) {
  size_t len;
  const char *text = lua_tolstring(m->L, 3, &len);
  const char *escape;
  while ((escape = (const char *)memchr(text, '%', len)) != NULL) {
    luaL_addlstring(b, text, (size_t)(escape - text));
    escape++;  /* the character after '%' ('\0' when the text ends with '%') */
    if (*escape == '%') {
      luaL_addchar(b, '%');
    } else if (*escape == '0') {
      luaL_addlstring(b, s, (size_t)(e - s));
    } else if (isdigit((unsigned char)*escape)) {
      const char *cap;
      ptrdiff_t cap_len = wick_capture_text(m, *escape - '1', s, e, &cap);
      if (cap_len == WICK_CAP_POSITION)
        luaL_addvalue(b);
      else
        luaL_addlstring(b, cap, (size_t)cap_len);
    } else {
      luaL_error(m->L, "invalid use of '%c' in replacement string", '%');
    }
    len -= (size_t)(escape + 1 - text);
    text = escape + 1;
  }
  luaL_addlstring(b, text, len);
}

/* Adds the replacement of match [s, e); returns whether the text changed. */
static int wick_add_replacement(wick_match *m, luaL_Buffer *b, const char *s, const char *e, int kind) {
  lua_State *L = m->L;
  if (kind == LUA_TFUNCTION) {
    lua_pushvalue(L, 3);
    int n = wick_push_captures(m, s, e);
    lua_call(L, n, 1);
  } else if (kind == LUA_TTABLE) {
    wick_push_capture(m, 0, s, e);
    lua_gettable(L, 3);
  } else {
    wick_add_replacement_text(m, b, s, e);
    return 1;
  }
  if (!lua_toboolean(L, -1)) {  /* nil or false: keep the original text */
    lua_pop(L, 1);
    luaL_addlstring(b, s, (size_t)(e - s));
    return 0;
  }
  if (!lua_isstring(L, -1))
    return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  luaL_addvalue(b);
  return 1;
}

static int wick_string_gsub(lua_State *L) {
  size_t ls, lp;
  const char *src = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  const char *last_match = NULL;
  int kind = lua_type(L, 3);
  lua_Integer max_replacements = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
  int anchored = (*p == '^');
  lua_Integer n = 0;
  int changed = 0;
  wick_match m;
  luaL_Buffer b;
  luaL_argexpected(L, kind == LUA_TNUMBER || kind == LUA_TSTRING || kind == LUA_TFUNCTION || kind == LUA_TTABLE,
                   3, "string/function/table");
  luaL_buffinit(L, &b);
  if (anchored) {
    p++;
    lp--;
  }
  wick_match_init(&m, L, wick_pattern_runtime(L), "string.gsub", src, ls, p, lp);
  while (n < max_replacements) {
    wick_match_reset(&m);
    const char *end = wick_do_match(&m, src, p);
    if (end != NULL && end != last_match) {
      n++;
      changed = wick_add_replacement(&m, &b, src, end, kind) | changed;
      src = last_match = end;
    } else if (src < m.subject_end) {
      luaL_addchar(&b, *src++);
    } else {
      break;
    }
    wick_match_step(&m);
    if (anchored) break;
  }
  if (!changed) {
    lua_pushvalue(L, 1);
  } else {
    luaL_addlstring(&b, src, (size_t)(m.subject_end - src));
    luaL_pushresult(&b);
  }
  lua_pushinteger(L, n);
  return 2;
}

/* Pushes a table { find, match, gmatch, gsub } bound to `rt` (NULL: step budget only). */
static inline void wick_push_bounded_patterns(lua_State *L, struct wick_runtime *rt) {
  lua_createtable(L, 0, 4);
  wick_set_sandbox_function(L, rt, "find", wick_string_find, NULL);
  wick_set_sandbox_function(L, rt, "match", wick_string_match, NULL);
  wick_set_sandbox_function(L, rt, "gmatch", wick_string_gmatch, NULL);
  wick_set_sandbox_function(L, rt, "gsub", wick_string_gsub, NULL);
}

#endif

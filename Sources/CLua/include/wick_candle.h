// The per-candle handover: the host writes a candle's numbers straight into the value slots of
// the strategy's reused candle table, so calling on_candle(ctx, c) needs no Lua code in between
// (a Lua `deliver` that stored six fields and tail-called on_candle cost about a tenth of a
// simple strategy's time per candle).
#ifndef WICK_CANDLE_H
#define WICK_CANDLE_H

#include "lua.h"

typedef struct wick_candle_slots wick_candle_slots;

/// Binds the table at `index` and its fields `keys[0..5]` (time, open, high, low, close, volume):
/// each field is created (so the table's nodes exist) and its slot remembered. NULL when out of
/// memory. The keys must be strings kept alive elsewhere (the host interns them in stack slots).
wick_candle_slots *wick_candle_bind(lua_State *L, int index, const char *const keys[6]);
void wick_candle_free(wick_candle_slots *slots);

/// Writes the candle into the bound table. A script may have added fields (the table rehashed)
/// or removed one (the garbage collector may then retire its key): every slot is checked and, if
/// any moved, the fields are set through the API and the slots found again. Returns 0 only when
/// that slow path ran out of memory, with the error on the stack.
int wick_candle_store(lua_State *L, wick_candle_slots *slots, lua_Integer time, lua_Number open,
                      lua_Number high, lua_Number low, lua_Number close, lua_Number volume);

#endif

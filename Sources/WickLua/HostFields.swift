import CLua
import WickCore

/// The names of the fields the host reads from a script's tables (`ctx:enter{ ... }`) and writes
/// into the tables it hands out (`ctx:position`). Each is interned once per state: Lua's short
/// strings are unique, so a key is recognised by the address of its characters and pushed from a
/// registry table, never hashed again on the per-trade path.
enum FieldKey: Int, CaseIterable {
  case symbol, side, stop, take, trail, tag, risk, reason
  case long, short, hedge, entryZ, stopZ, spreadStd
  case qty, entry, openedAt
  case limit, postOnly, expire, add, fraction, price, placedAt, candlesLeft

  var luaName: String {
    switch self {
    case .symbol: return "symbol"
    case .side: return "side"
    case .stop: return "stop"
    case .take: return "take"
    case .trail: return "trail"
    case .tag: return "tag"
    case .risk: return "risk"
    case .reason: return "reason"
    case .long: return "long"
    case .short: return "short"
    case .hedge: return "hedge"
    case .entryZ: return "entry_z"
    case .stopZ: return "stop_z"
    case .spreadStd: return "spread_std"
    case .qty: return "qty"
    case .entry: return "entry"
    case .openedAt: return "opened_at"
    case .limit: return "limit"
    case .postOnly: return "post_only"
    case .expire: return "expire"
    case .add: return "add"
    case .fraction: return "fraction"
    case .price: return "price"
    case .placedAt: return "placed_at"
    case .candlesLeft: return "candles_left"
    }
  }

  /// The fields each table argument accepts: any other key is a typo, reported as an error.
  static let enter: [FieldKey] = [
    .symbol, .side, .stop, .take, .trail, .tag, .risk, .limit, .postOnly, .expire, .add,
  ]
  static let exit: [FieldKey] = [.symbol, .reason, .fraction]
  static let cancel: [FieldKey] = [.symbol]
  static let enterPair: [FieldKey] = [
    .long, .short, .hedge, .entryZ, .stopZ, .spreadStd, .risk, .tag,
  ]
  static let exitPair: [FieldKey] = [.long, .short, .reason]
}

/// One field of a script's table as read by `readFields`: its Lua type and, for numbers and
/// strings, the value. A string's characters belong to the table argument, which stays on the
/// stack (and so alive and unchanged) for the whole host call.
struct FieldValue {
  var type: Int32 = LUA_TNIL
  var number = 0.0
  var string: UnsafePointer<CChar>? = nil

  /// The string, when the field is one (a `tag`, a `reason`).
  var text: String? { type == LUA_TSTRING ? string.map { String(cString: $0) } : nil }
}

extension LuaStrategy {
  /// Interns every `FieldKey` name in a registry table (which keeps the strings alive) and
  /// records the address of each one's characters.
  func internFieldKeys() {
    let L = state.L
    lua_createtable(L, Int32(FieldKey.allCases.count), 0)
    keyPointers = []
    for key in FieldKey.allCases {
      state.push(key.luaName)
      keyPointers.append(UnsafeRawPointer(wick_tostring(L, -1)))
      lua_rawseti(L, -2, lua_Integer(key.rawValue + 1))
    }
    internedRef = luaL_ref(L, wick_registryindex())
    fields = Array(repeating: FieldValue(), count: FieldKey.allCases.count)
  }

  /// Pushes the interned table of field names (index `key.rawValue + 1` holds `key`'s name).
  func pushFieldKeys() { lua_rawgeti(state.L, wick_registryindex(), lua_Integer(internedRef)) }

  /// Reads the table at `table` in one traversal into `fields`: every key must be one of
  /// `allowed` (typos are errors, not silently ignored); absent fields read as nil. Returns the
  /// error for the first key that is not allowed, nil when all are.
  func readFields(_ L: OpaquePointer, table: Int32, allowed: [FieldKey], function: String)
    -> String?
  {
    for key in allowed { fields[key.rawValue] = FieldValue() }
    lua_pushnil(L)
    while lua_next(L, table) != 0 {
      var found = -1
      if lua_type(L, -2) == LUA_TSTRING, let p = wick_tostring(L, -2) {
        let address = UnsafeRawPointer(p)
        for key in allowed where keyPointers[key.rawValue] == address {
          found = key.rawValue
          break
        }
      }
      guard found >= 0 else {
        let k = state.string(at: -2) ?? "(non-string key)"
        state.pop(2)
        return
          "\(function): unknown field '\(k)' (expected: \(allowed.map(\.luaName).sorted().joined(separator: ", ")))"
      }
      var value = FieldValue(type: lua_type(L, -1))
      if value.type == LUA_TNUMBER {
        value.number = wick_tonumber(L, -1)
      } else if value.type == LUA_TBOOLEAN {
        value.number = lua_toboolean(L, -1) != 0 ? 1 : 0
      } else if value.type == LUA_TSTRING {
        value.string = wick_tostring(L, -1)
      }
      fields[found] = value
      state.pop()
    }
    return nil
  }

  /// The field `key` as read by the last `readFields`.
  func field(_ key: FieldKey) -> FieldValue { fields[key.rawValue] }

  /// The numeric field `key`: nil when absent; a refusal (its detail is the error) when it is
  /// not a finite number.
  func numberField(_ key: FieldKey, _ function: String) throws(Refusal) -> Double? {
    let v = field(key)
    switch v.type {
    case LUA_TNIL: return nil
    case LUA_TNUMBER:
      guard v.number.isFinite else {
        throw Refusal("", "\(function): '\(key.luaName)' must be a finite number")
      }
      return v.number
    default: throw Refusal("", "\(function): '\(key.luaName)' must be a number")
    }
  }

  /// The value at stack index `index` as a field (for arguments passed without a table).
  func fieldValue(_ L: OpaquePointer, at index: Int32) -> FieldValue {
    var value = FieldValue(type: lua_type(L, index))
    if value.type == LUA_TSTRING { value.string = wick_tostring(L, index) }
    return value
  }

  /// The boolean field `key`: false when absent; a refusal (its detail is the error) when it is
  /// not a boolean.
  func boolField(_ key: FieldKey, _ function: String) throws(Refusal) -> Bool {
    let v = field(key)
    switch v.type {
    case LUA_TNIL: return false
    case LUA_TBOOLEAN: return v.number != 0
    default: throw Refusal("", "\(function): '\(key.luaName)' must be true or false")
    }
  }

  /// The `side` field: "long" or "short" (recognised by address; any other string is not a side).
  func sideField() -> Side? {
    let v = field(.side)
    guard v.type == LUA_TSTRING, let p = v.string else { return nil }
    let address = UnsafeRawPointer(p)
    if address == keyPointers[FieldKey.long.rawValue] { return .long }
    if address == keyPointers[FieldKey.short.rawValue] { return .short }
    return Side(rawValue: String(cString: p))
  }
}

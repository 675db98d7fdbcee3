import CLua
import WickCore

/// One constructor argument of a `wick.*` indicator, named and defaulted as TA-Lib does.
struct IndicatorParameter {
  let name: String
  let defaultValue: Double
  let range: ClosedRange<Double>
  let whole: Bool

  static func period(_ name: String, _ value: Int, minimum: Int = 2) -> Self {
    Self(name: name, defaultValue: Double(value), range: Double(minimum)...100_000, whole: true)
  }
  /// TA-Lib's `timeperiod`.
  static func period(_ value: Int, minimum: Int = 2) -> Self {
    period("timeperiod", value, minimum: minimum)
  }
  static func factor(_ name: String, _ value: Double, _ range: ClosedRange<Double>) -> Self {
    Self(name: name, defaultValue: value, range: range, whole: false)
  }
}

/// A `wick.*` indicator of the TA-Lib family: its arguments in TA-Lib's order, its inputs
/// (what `:update` takes) and how to build it from validated arguments.
struct IndicatorSpec {
  let parameters: [IndicatorParameter]
  let inputs: String
  /// Builds the indicator, or returns what is wrong with a combination of arguments.
  let make: ([Double]) -> Result<MultiOutputIndicator, IndicatorArgumentError>

  static func of(_ f: HostFunction) -> IndicatorSpec {
    let hlc = "high, low, close"
    func single(_ build: @escaping (Int) -> StreamingIndicator) -> ([Double]) -> Result<
      MultiOutputIndicator, IndicatorArgumentError
    > {
      { .success(SingleOutputAdapter(build(Int($0[0])))) }
    }
    switch f {
    case .macd:
      return IndicatorSpec(
        parameters: [
          .period("fastperiod", 12), .period("slowperiod", 26),
          .period("signalperiod", 9, minimum: 1),
        ],
        inputs: "close"
      ) { a in
        guard a[0] < a[1] else {
          return .failure(
            IndicatorArgumentError(
              "fastperiod (\(Int(a[0]))) must be less than slowperiod (\(Int(a[1])))"))
        }
        return .success(MACD(fast: Int(a[0]), slow: Int(a[1]), signal: Int(a[2])))
      }
    case .bbands:
      return IndicatorSpec(
        parameters: [
          .period(5), .factor("nbdevup", 2, -100...100), .factor("nbdevdn", 2, -100...100),
        ],
        inputs: "close"
      ) { .success(BollingerBands(period: Int($0[0]), deviationsUp: $0[1], deviationsDown: $0[2])) }
    case .adx:
      return IndicatorSpec(parameters: [.period(14)], inputs: hlc) {
        .success(ADX(period: Int($0[0])))
      }
    case .stoch:
      return IndicatorSpec(
        parameters: [
          .period("fastk_period", 5, minimum: 1), .period("slowk_period", 3, minimum: 1),
          .period("slowd_period", 3, minimum: 1),
        ],
        inputs: hlc
      ) { .success(Stochastic(fastK: Int($0[0]), slowK: Int($0[1]), slowD: Int($0[2]))) }
    case .stochrsi:
      return IndicatorSpec(
        parameters: [
          .period(14), .period("fastk_period", 5, minimum: 1),
          .period("fastd_period", 3, minimum: 1),
        ],
        inputs: "close"
      ) { .success(StochasticRSI(period: Int($0[0]), fastK: Int($0[1]), fastD: Int($0[2]))) }
    case .cci: return IndicatorSpec(parameters: [.period(14)], inputs: hlc, make: single(CCI.init))
    case .mfi:
      return IndicatorSpec(parameters: [.period(14)], inputs: "high, low, close, volume") {
        .success(MFI(period: Int($0[0])))
      }
    case .obv:
      return IndicatorSpec(parameters: [], inputs: "close, volume") { _ in
        .success(SingleOutputAdapter(OBV()))
      }
    case .wma:
      return IndicatorSpec(parameters: [.period(30)], inputs: "close", make: single(WMA.init))
    case .dema:
      return IndicatorSpec(parameters: [.period(30)], inputs: "close") {
        .success(SingleOutputAdapter(MultipleEMA(period: Int($0[0]), kind: .double)))
      }
    case .tema:
      return IndicatorSpec(parameters: [.period(30)], inputs: "close") {
        .success(SingleOutputAdapter(MultipleEMA(period: Int($0[0]), kind: .triple)))
      }
    case .kama:
      return IndicatorSpec(parameters: [.period(30)], inputs: "close", make: single(KAMA.init))
    case .roc:
      return IndicatorSpec(
        parameters: [.period(10, minimum: 1)], inputs: "close", make: single(ROC.init))
    case .willr:
      return IndicatorSpec(parameters: [.period(14)], inputs: hlc, make: single(WilliamsR.init))
    case .natr:
      return IndicatorSpec(
        parameters: [.period(14, minimum: 1)], inputs: hlc, make: single(NATR.init))
    case .keltner:
      return IndicatorSpec(
        parameters: [.period(20, minimum: 1), .factor("multiplier", 2, 0...100)], inputs: hlc
      ) { .success(KeltnerChannels(period: Int($0[0]), multiplier: $0[1])) }
    case .donchian:
      return IndicatorSpec(parameters: [.period(20, minimum: 1)], inputs: "high, low") {
        .success(DonchianChannels(period: Int($0[0])))
      }
    case .vwap:
      return IndicatorSpec(parameters: [], inputs: "t, high, low, close, volume") { _ in
        .success(VWAP())
      }
    case .supertrend:
      return IndicatorSpec(
        parameters: [.period(10, minimum: 1), .factor("multiplier", 3, 0.000001...100)], inputs: hlc
      ) { .success(Supertrend(period: Int($0[0]), multiplier: $0[1])) }
    default:  // .psar
      return IndicatorSpec(
        parameters: [
          .factor("acceleration", 0.02, 0.000001...1), .factor("maximum", 0.2, 0.000001...1),
        ],
        inputs: "high, low"
      ) { a in
        guard a[0] <= a[1] else {
          return .failure(
            IndicatorArgumentError(
              "acceleration (\(formatNumber(a[0]))) must not exceed maximum (\(formatNumber(a[1])))"
            ))
        }
        return .success(SingleOutputAdapter(ParabolicSAR(acceleration: a[0], maximum: a[1])))
      }
    }
  }
}

struct IndicatorArgumentError: Error {
  let message: String
  init(_ message: String) { self.message = message }
}

/// A feature object behind `wick.swings` or `wick.regime`: updated through the host dispatcher
/// because it returns strings.
final class FeatureBox {
  enum Feature {
    case swings(SwingDetector)
    case regime(RegimeClassifier)
  }
  var feature: Feature
  init(_ feature: Feature) { self.feature = feature }
}

extension LuaStrategy {
  /// The room the new indicators may take, in the same units as `newIndicator`'s accounting.
  private func reserve(_ bytes: Int, _ name: String) -> Int32? {
    guard indicators.count + multiIndicatorBoxes.count + features.count < 100_000 else {
      return fail("\(name): too many indicators (100000); create them once in init, not per candle")
    }
    guard state.memoryUsed + bytes <= state.limits.memoryBytes else {
      state.runtime.pointee.memory_tripped = 1
      wick_trip(state.runtime, WICK_TRIP_MEMORY)
      return fail("\(name): memory limit exceeded")
    }
    state.runtime.pointee.used += bytes
    return nil
  }

  /// `wick.macd(12, 26, 9)` and the rest of the TA-Lib family: arguments in TA-Lib's order,
  /// each optional with TA-Lib's default.
  func newMultiIndicator(_ kind: HostFunction, _ L: OpaquePointer) -> Int32 {
    let spec = IndicatorSpec.of(kind)
    let names = spec.parameters.map(\.name).joined(separator: ", ")
    let call = "wick.\(kind.luaName)(\(names))"
    let given = lua_gettop(L)
    guard given <= spec.parameters.count else {
      return fail(
        "\(call) takes \(spec.parameters.isEmpty ? "no" : "at most \(spec.parameters.count)") arguments, got \(given)"
      )
    }
    var values: [Double] = []
    for (i, p) in spec.parameters.enumerated() {
      let index = Int32(i + 1)
      let type = lua_type(L, index)
      if type <= 0 {  // absent or nil: TA-Lib's default
        values.append(p.defaultValue)
        continue
      }
      let what = p.whole ? "a whole number" : "a number"
      let range = "\(formatNumber(p.range.lowerBound)) to \(formatNumber(p.range.upperBound))"
      guard type == LUA_TNUMBER else {
        return fail(
          "\(call): \(p.name) must be \(what) from \(range), got \(String(cString: lua_typename(L, type)))"
        )
      }
      let v = wick_tonumber(L, index)
      guard v.isFinite, !p.whole || v == v.rounded(), p.range.contains(v) else {
        return fail("\(call): \(p.name) must be \(what) from \(range), got \(formatNumber(v))")
      }
      values.append(v)
    }
    let indicator: MultiOutputIndicator
    switch spec.make(values) {
    case .success(let built): indicator = built
    case .failure(let e): return fail("\(call): \(e.message)")
    }
    let periods = zip(spec.parameters, values).reduce(0) { $0 + ($1.0.whole ? Int($1.1) : 0) }
    if let refused = reserve((periods + 4) * 24 + 512, "wick.\(kind.luaName)") { return refused }
    let box = MultiIndicatorBox(indicator)
    let index = lua_Integer(multiIndicatorBoxes.count)
    multiIndicatorBoxes.append(box)
    lua_createtable(L, 0, 4)
    let signature = "wick.\(kind.luaName):update(\(spec.inputs))"
    signature.withCString {
      wick_push_multi_indicator_update(
        L, Unmanaged.passUnretained(box).toOpaque(), Int32(indicator.inputCount), $0)
    }
    state.setRawField(-2, "update")
    wick_push_bound_host_function(L, HostFunction.multiIndicatorValue.rawValue, index)
    state.setRawField(-2, "value")
    return 1
  }

  /// `ind:value()` of a TA-Lib-family indicator: its last outputs, or nil while warming.
  func multiIndicatorValue(_ L: OpaquePointer) -> Int32 {
    let i = Int(wick_bound_object(L))
    guard lua_type(L, 1) == LUA_TTABLE, i >= 0, i < multiIndicatorBoxes.count else {
      return fail("indicator:value must be called with ':' on an indicator")
    }
    let box = multiIndicatorBoxes[i]
    guard box.lastCount > 0 else {
      lua_pushnil(L)
      return 1
    }
    let v = box.last
    for (k, x) in [v.0, v.1, v.2, v.3].prefix(Int(box.lastCount)).enumerated() where k < 4 {
      lua_pushnumber(L, x)
    }
    return box.lastCount
  }

  /// `wick.session(t)`: the session name of epoch-ms time `t` under the run's `[sessions]`.
  func session(_ L: OpaquePointer) -> Int32 {
    guard lua_type(L, 1) == LUA_TNUMBER else {
      return fail("wick.session(t): t must be a time in epoch milliseconds (c.t)")
    }
    let t = lua_isinteger(L, 1) != 0 ? Int64(wick_tointeger(L, 1)) : Int64(wick_tonumber(L, 1))
    state.push(sessions.session(at: t).name)
    return 1
  }

  private func pushFeature(_ feature: FeatureBox.Feature, _ name: String, bytes: Int) -> Int32 {
    if let refused = reserve(bytes, name) { return refused }
    let index = lua_Integer(features.count)
    features.append(FeatureBox(feature))
    let L = state.L
    lua_createtable(L, 0, 4)
    wick_push_bound_host_function(L, HostFunction.featureUpdate.rawValue, index)
    state.setRawField(-2, "update")
    wick_push_bound_host_function(L, HostFunction.featureValue.rawValue, index)
    state.setRawField(-2, "value")
    return 1
  }

  /// `wick.swings(n)`: pivots confirmed `n` candles later.
  func newSwings(_ L: OpaquePointer) -> Int32 {
    let call = "wick.swings(n)"
    guard lua_type(L, 1) == LUA_TNUMBER else {
      return fail("\(call): n must be a whole number from 1 to 1000 (candles on each side)")
    }
    let v = wick_tonumber(L, 1)
    guard v == v.rounded(), v >= 1, v <= 1000 else {
      return fail("\(call): n must be a whole number from 1 to 1000, got \(formatNumber(v))")
    }
    guard lua_gettop(L) == 1 else { return fail("\(call) takes one argument") }
    return pushFeature(
      .swings(SwingDetector(strength: Int(v))), "wick.swings", bytes: Int(v) * 72 + 512)
  }

  static let regimeKeys = [
    "atr_period", "window", "low_percentile", "high_percentile", "adx_period", "adx_threshold",
    "ma_period", "slope_period",
  ]

  /// `wick.regime{...}`: the regime classifier with the given parameters (defaults for the rest).
  func newRegime(_ L: OpaquePointer) -> Int32 {
    let call = "wick.regime{...}"
    var p = RegimeParameters()
    let type = lua_type(L, 1)
    guard type <= 0 || type == LUA_TTABLE, lua_gettop(L) <= 1 else {
      return fail("\(call) takes one table, e.g. wick.regime{ atr_period = 14, window = 100 }")
    }
    if type == LUA_TTABLE {
      lua_pushnil(L)
      // Each turn leaves key and value on the stack; the value is popped at the end of the turn,
      // both before failing.
      while lua_next(L, 1) != 0 {
        guard lua_type(L, -2) == LUA_TSTRING, let key = state.string(at: -2),
          Self.regimeKeys.contains(key)
        else {
          let shown =
            lua_type(L, -2) == LUA_TSTRING ? "'\(state.string(at: -2) ?? "")'" : "a non-string key"
          state.pop(2)
          return fail(
            "\(call): unknown key \(shown); expected \(Self.regimeKeys.joined(separator: ", "))")
        }
        guard lua_type(L, -1) == LUA_TNUMBER else {
          state.pop(2)
          return fail("\(call): \(key) must be a number")
        }
        let v = wick_tonumber(L, -1)
        let whole = !(key.hasSuffix("percentile") || key == "adx_threshold")
        if whole && (v != v.rounded() || abs(v) > 1e9) {
          state.pop(2)
          return fail("\(call): \(key) must be a whole number, got \(formatNumber(v))")
        }
        switch key {
        case "atr_period": p.atrPeriod = Int(v)
        case "window": p.window = Int(v)
        case "low_percentile": p.lowPercentile = v
        case "high_percentile": p.highPercentile = v
        case "adx_period": p.adxPeriod = Int(v)
        case "adx_threshold": p.adxThreshold = v
        case "ma_period": p.maPeriod = Int(v)
        default: p.slopePeriod = Int(v)
        }
        state.pop()
      }
    }
    if let problem = p.problem { return fail("\(call): \(problem)") }
    let bytes = (p.window + p.maPeriod + p.slopePeriod + 1) * 8 + 512
    return pushFeature(.regime(RegimeClassifier(p)), "wick.regime", bytes: bytes)
  }

  private func feature(_ L: OpaquePointer, _ method: String) -> FeatureBox? {
    let i = Int(wick_bound_object(L))
    guard lua_type(L, 1) == LUA_TTABLE, i >= 0, i < features.count else { return nil }
    return features[i]
  }

  private func push(_ point: SwingPoint) {
    state.push(point.kind.rawValue)
    lua_pushinteger(state.L, lua_Integer(point.time))
    lua_pushnumber(state.L, point.price)
    if let label = point.label { state.push(label.rawValue) } else { lua_pushnil(state.L) }
  }

  private func push(_ r: Regime) {
    state.push(r.volatility.rawValue)
    state.push(r.trend.rawValue)
    lua_pushnumber(state.L, r.atrPercentile)
    lua_pushnumber(state.L, r.adx)
    lua_pushnumber(state.L, r.slope)
  }

  /// `swings:update(t, high, low)` → kind, time, price, label (twice when one candle confirms
  /// a high and a low, the high first), or nil; `regime:update(high, low, close)` →
  /// volatility, trend, atr_percentile, adx, slope, or nil.
  func featureUpdate(_ L: OpaquePointer) -> Int32 {
    guard let box = feature(L, "update") else {
      return fail("update must be called with ':' on a wick.swings or wick.regime object")
    }
    switch box.feature {
    case .swings(var detector):
      guard lua_type(L, 2) == LUA_TNUMBER, lua_type(L, 3) == LUA_TNUMBER,
        lua_type(L, 4) == LUA_TNUMBER
      else { return fail("wick.swings:update(t, high, low) expects three numbers") }
      let t = lua_isinteger(L, 2) != 0 ? Int64(wick_tointeger(L, 2)) : Int64(wick_tonumber(L, 2))
      let found = detector.update(time: t, high: wick_tonumber(L, 3), low: wick_tonumber(L, 4))
      box.feature = .swings(detector)
      var pushed: Int32 = 0
      if let h = found.high {
        push(h)
        pushed += 4
      }
      if let l = found.low {
        push(l)
        pushed += 4
      }
      if pushed == 0 {
        lua_pushnil(L)
        return 1
      }
      return pushed
    case .regime(var classifier):
      guard lua_type(L, 2) == LUA_TNUMBER, lua_type(L, 3) == LUA_TNUMBER,
        lua_type(L, 4) == LUA_TNUMBER
      else { return fail("wick.regime:update(high, low, close) expects three numbers") }
      let r = classifier.update(
        high: wick_tonumber(L, 2), low: wick_tonumber(L, 3), close: wick_tonumber(L, 4))
      box.feature = .regime(classifier)
      guard let r else {
        lua_pushnil(L)
        return 1
      }
      push(r)
      return 5
    }
  }

  /// `:value()`: the last regime, or the last pivot high then the last pivot low.
  func featureValue(_ L: OpaquePointer) -> Int32 {
    guard let box = feature(L, "value") else {
      return fail("value must be called with ':' on a wick.swings or wick.regime object")
    }
    switch box.feature {
    case .swings(let detector):
      var pushed: Int32 = 0
      for p in [detector.lastHigh, detector.lastLow] {
        if let p { push(p) } else { for _ in 0..<4 { lua_pushnil(L) } }
        pushed += 4
      }
      return pushed
    case .regime(let classifier):
      guard let r = classifier.value else {
        lua_pushnil(L)
        return 1
      }
      push(r)
      return 5
    }
  }
}

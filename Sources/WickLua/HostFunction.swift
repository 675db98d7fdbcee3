import CLua
import WickCore

/// Every Swift function a script can reach, by the id its C closure carries. The C trampoline
/// (`wick_trampoline` in CLua/shim.h) calls `dispatchHostFunction`, which routes here.
enum HostFunction: Int32, CaseIterable {
  // Globals.
  case print = 1
  case require
  // ctx methods.
  case enter
  case exit
  case equity
  case log
  case history
  case enterPair
  case exitPair
  case cancel
  case orders
  // wick.* indicator constructors.
  case sma
  case ema
  case stddev
  case zscore
  case highest
  case lowest
  case atr
  case rsi
  case ols
  // wick.* constructors of the TA-Lib family and features (LuaStrategy+Indicators.swift).
  case macd
  case bbands
  case adx
  case stoch
  case stochrsi
  case cci
  case mfi
  case obv
  case wma
  case dema
  case tema
  case kama
  case roc
  case willr
  case natr
  case keltner
  case donchian
  case vwap
  case supertrend
  case psar
  case session
  case swings
  case regime
  // Indicator methods.
  case indicatorUpdate
  case indicatorValue
  case indicatorIntercept
  case indicatorResidualStd
  case indicatorZScore
  case multiIndicatorValue
  case featureUpdate
  case featureValue

  /// The name under which the function is exposed (ctx method, wick field or indicator method).
  var luaName: String {
    switch self {
    case .print: return "print"
    case .require: return "require"
    case .enter: return "enter"
    case .exit: return "exit"
    case .equity: return "equity"
    case .log: return "log"
    case .history: return "history"
    case .enterPair: return "enter_pair"
    case .exitPair: return "exit_pair"
    case .cancel: return "cancel"
    case .orders: return "orders"
    case .sma: return "sma"
    case .ema: return "ema"
    case .stddev: return "stddev"
    case .zscore: return "zscore"
    case .highest: return "highest"
    case .lowest: return "lowest"
    case .atr: return "atr"
    case .rsi: return "rsi"
    case .ols: return "ols"
    case .indicatorUpdate: return "update"
    case .indicatorValue: return "value"
    case .indicatorIntercept: return "intercept"
    case .indicatorResidualStd: return "residual_std"
    case .indicatorZScore: return "zscore"
    case .multiIndicatorValue, .featureValue: return "value"
    case .featureUpdate: return "update"
    case .macd: return "macd"
    case .bbands: return "bbands"
    case .adx: return "adx"
    case .stoch: return "stoch"
    case .stochrsi: return "stochrsi"
    case .cci: return "cci"
    case .mfi: return "mfi"
    case .obv: return "obv"
    case .wma: return "wma"
    case .dema: return "dema"
    case .tema: return "tema"
    case .kama: return "kama"
    case .roc: return "roc"
    case .willr: return "willr"
    case .natr: return "natr"
    case .keltner: return "keltner"
    case .donchian: return "donchian"
    case .vwap: return "vwap"
    case .supertrend: return "supertrend"
    case .psar: return "psar"
    case .session: return "session"
    case .swings: return "swings"
    case .regime: return "regime"
    }
  }

  static let contextMethods: [HostFunction] = [
    .enter, .exit, .equity, .log, .history, .enterPair, .exitPair, .cancel, .orders,
  ]
  static let indicatorConstructors: [HostFunction] =
    [
      .sma, .ema, .stddev, .zscore, .highest, .lowest, .atr, .rsi, .ols,
    ] + multiIndicatorConstructors + [.session, .swings, .regime]
  static let multiIndicatorConstructors: [HostFunction] = [
    .macd, .bbands, .adx, .stoch, .stochrsi, .cci, .mfi, .obv, .wma, .dema, .tema, .kama, .roc,
    .willr, .natr, .keltner, .donchian, .vwap, .supertrend, .psar,
  ]
  static let indicatorMethods: [HostFunction] = [
    .indicatorUpdate, .indicatorValue, .indicatorIntercept, .indicatorResidualStd, .indicatorZScore,
  ]
}

/// The single C-callable entry point. It must never let a Lua error escape: host functions
/// report failure by returning -1 with a message pushed, and the C trampoline raises it.
let dispatchHostFunction: wick_dispatch_fn = { L, host, id in
  guard let L, let host, let function = HostFunction(rawValue: id) else { return 0 }
  let strategy = Unmanaged<LuaStrategy>.fromOpaque(host).takeUnretainedValue()
  return strategy.call(function, L)
}

/// Holds an indicator for the C fast path: its address is the `update` closure's upvalue.
final class IndicatorBox {
  let indicator: StreamingIndicator
  init(_ indicator: StreamingIndicator) { self.indicator = indicator }
}

/// The Swift half of `ind:update(...)`: no Lua API calls, no errors, no allocation.
/// The box is borrowed, not retained: the strategy keeps it alive as long as the state.
let indicatorUpdateThunk: wick_indicator_fn = { box, a, b, c, out in
  guard let box, let out,
    let v = Unmanaged<IndicatorBox>.fromOpaque(box)._withUnsafeGuaranteedRef({
      $0.indicator.update(a, b, c)
    })
  else { return 0 }
  out.pointee = v
  return 1
}

/// Holds a multi-input or multi-output indicator for the C fast path, with its last outputs
/// for `ind:value()`.
final class MultiIndicatorBox {
  let indicator: MultiOutputIndicator
  private(set) var last: (Double, Double, Double, Double) = (0, 0, 0, 0)
  private(set) var lastCount: Int32 = 0
  init(_ indicator: MultiOutputIndicator) { self.indicator = indicator }

  @inline(__always) func update(_ input: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>)
    -> Int32
  {
    guard indicator.update(input, out) else {
      lastCount = 0
      return 0
    }
    lastCount = Int32(indicator.outputCount)
    last = (
      out[0], lastCount > 1 ? out[1] : 0, lastCount > 2 ? out[2] : 0, lastCount > 3 ? out[3] : 0
    )
    return lastCount
  }
}

/// The Swift half of a multi-output `ind:update(...)`: no Lua API calls, no errors, no allocation.
let multiIndicatorUpdateThunk: wick_multi_indicator_fn = { box, input, out in
  guard let box, let input, let out else { return 0 }
  return Unmanaged<MultiIndicatorBox>.fromOpaque(box)._withUnsafeGuaranteedRef {
    $0.update(input, out)
  }
}

/// A one-output indicator behind the multi-output closure, so its errors name its inputs.
final class SingleOutputAdapter: MultiOutputIndicator {
  let indicator: StreamingIndicator
  var inputCount: Int { indicator.arity }
  let outputCount = 1
  init(_ indicator: StreamingIndicator) { self.indicator = indicator }
  func update(_ input: UnsafePointer<Double>, _ output: UnsafeMutablePointer<Double>) -> Bool {
    guard let v = indicator.update(input[0], input[1], input[2]) else { return false }
    output[0] = v
    return true
  }
}

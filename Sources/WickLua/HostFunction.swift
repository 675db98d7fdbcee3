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
  // Indicator methods.
  case indicatorUpdate
  case indicatorValue
  case indicatorIntercept
  case indicatorResidualStd
  case indicatorZScore

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
    }
  }

  static let contextMethods: [HostFunction] = [
    .enter, .exit, .equity, .log, .history, .enterPair, .exitPair, .cancel, .orders,
  ]
  static let indicatorConstructors: [HostFunction] = [
    .sma, .ema, .stddev, .zscore, .highest, .lowest, .atr, .rsi, .ols,
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

import WickCore
import WickReport

/// What a sweep maximises: one of the backtest's metrics, by its JSON key.
public enum Objective: String, Sendable, CaseIterable, Codable {
  case sharpe
  case sortino
  case calmar
  case netReturn = "net_return"
  case expectancy
  case profitFactor = "profit_factor"

  /// `--objective TEXT`; an unknown name lists the valid ones.
  public init(parsing text: String) throws {
    guard let o = Objective(rawValue: text) else {
      throw WickError.invalidArgument(
        "--objective \(text): expected one of \(Objective.allCases.map(\.rawValue).joined(separator: ", "))"
      )
    }
    self = o
  }

  /// The metric's column in results.csv.
  public var key: String { rawValue }

  /// The value to maximise from a results.csv cell. A missing profit factor means no losing
  /// trade, an unbounded ratio: it ranks above every finite one (`--min-trades` guards against
  /// a lucky handful of trades).
  public func score(cell: String) -> Double {
    if let v = Double(cell), v.isFinite { return v }
    return self == .profitFactor ? .infinity : -.infinity
  }
}

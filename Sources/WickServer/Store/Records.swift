import Foundation

/// One row of the runs page.
public struct RunSummary: Sendable, Equatable {
  public var id: Int64
  /// backtest | paper | live
  public var kind: String
  /// running | paused | halted | stopped | finished | failed
  public var status: String
  public var strategy: String
  public var symbols: String
  public var timeframe: String
  public var exchange: String?
  public var createdAt: Int64
  public var heartbeatAt: Int64?
  public var initialEquity: Double
  /// The latest run-wide equity snapshot, else the final equity, else the initial one.
  public var equity: Double
  /// Today's (UTC) realised PnL; nil when the run has no row for today.
  public var todayPnl: Double?
  public var openPositions: Int

  /// Runs a person can still act on: the controls apply to these.
  public var isActive: Bool { status == "running" || status == "paused" }
}

/// Everything on a run's page, read in one transaction.
public struct RunDetail: Sendable {
  public var summary: RunSummary
  public var paramsJSON: String
  public var scriptPath: String?
  public var argsJSON: String?
  public var stateJSON: String?
  public var error: String?
  public var metricsJSON: String?
  public var accounts: [AccountRow]
  public var equity: [(time: Int64, value: Double)]
  public var openPositions: [PositionRow]
  public var closedPositions: [PositionRow]
  public var signals: [DecisionRow]
  public var refusals: [DecisionRow]
  public var fills: [FillRow]
  public var incidents: [EventRow]
  public var governorEvents: [EventRow]
  public var commands: [CommandRow]
  public var scriptVersion: ScriptVersionRow?
  /// Realised loss so far today (positive number; 0 when flat or up).
  public var todayLoss: Double
  public var lastCandleTime: Int64?
  /// The last price the ledger has for each open position's symbol (unrealised PnL).
  public var marks: [String: Double] = [:]
  /// The run's metrics and closed trades (nil without `history`).
  public var performance: RunPerformance?
}

public struct AccountRow: Sendable, Equatable {
  public var name: String
  public var symbol: String
  public var allocation: Double
  public var killed: Bool
  public var killReason: String?
}

public struct PositionRow: Sendable, Equatable {
  public var id: Int64
  public var account: String
  public var symbol: String
  public var side: String
  public var qty: Double
  public var entry: Double
  public var stop: Double?
  public var take: Double?
  public var openedAt: Int64
  public var closedAt: Int64?
  public var exitPrice: Double?
  public var pnl: Double?
  public var exitReason: String?

  /// The open position's PnL at `mark`, before exit fees: (mark − entry) × qty, negated short.
  public func unrealised(at mark: Double) -> Double {
    (mark - entry) * qty * (side == "short" ? -1 : 1)
  }
}

/// A row of `decisions` (rowid-free: the cursor is `seq`).
public struct DecisionRow: Sendable, Equatable {
  public var seq: Int64
  public var candleTime: Int64
  public var kind: String
  public var symbol: String?
  public var detailJSON: String
}

public struct FillRow: Sendable, Equatable {
  public var id: Int64
  public var time: Int64
  public var symbol: String
  public var side: String
  public var type: String
  public var price: Double
  public var qty: Double
  public var fee: Double
}

/// A row of `incidents` or `governor_events` (cursor: the table's rowid).
public struct EventRow: Sendable, Equatable {
  public var rowid: Int64
  public var time: Int64
  public var kind: String
  public var account: String?
  public var detail: String
}

public struct CommandRow: Sendable, Equatable {
  public var id: Int64
  public var kind: String
  public var payloadJSON: String
  public var source: String
  public var createdAt: Int64
  /// pending | done | rejected
  public var status: String
  public var outcome: String?
  public var handledAt: Int64?
}

public struct ScriptVersionRow: Sendable, Equatable {
  public var time: Int64
  public var scriptHash: String
  public var paramsJSON: String
  public var source: String
}

/// One sweep on the sweeps page.
public struct SweepSummary: Sendable, Equatable {
  public var id: Int64
  public var strategy: String
  public var symbol: String
  public var timeframe: String
  public var objective: String
  public var createdAt: Int64
  public var winnerJSON: String?
  public var summaryJSON: String?
  public var specJSON: String
  public var resultCount: Int
}

/// One parameter set (and window) of a sweep.
public struct SweepResultRow: Sendable, Equatable {
  public var rowIndex: Int64
  public var windowIndex: Int64
  public var paramsJSON: String
  public var trades: Int
  public var objectiveValue: Double?
  public var metrics: [String: Double]
}

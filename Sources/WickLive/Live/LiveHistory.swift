import Foundation
import WickCore
import WickData
import WickSim

/// What a resumed live run recorded before the restart, from its ledger: the fill of each order
/// by client order id, and the positions the exchange closed (stop, take) by candle time.
public protocol LiveHistory: AnyObject {
  func fill(_ clientOrderID: String) -> LiveFill?
  func closes(_ time: Int64) -> [RecordedClose]
  /// The venue's recorded refusal of an entry (its detail), if it was refused.
  func refusal(_ clientOrderID: String) -> String?
  /// Decisions of `kind` ("funding", "wallet") recorded at candle `time`.
  func recorded(_ kind: String, at time: Int64) -> [RunLedger.Decision]
  /// The candle time the order's fill was booked at (a resting limit entry's), if it filled.
  func fillTime(_ clientOrderID: String) -> Int64?
}

extension LiveHistory {
  public func recorded(_ kind: String, at time: Int64) -> [RunLedger.Decision] { [] }
  public func fillTime(_ clientOrderID: String) -> Int64? { nil }
}

/// A resumed run's history from its ledger.
public final class LedgerLiveHistory: LiveHistory {
  private let fills: [String: RunLedger.RecordedFill]
  private let closesByTime: [Int64: [RecordedClose]]
  private let refusals: [String: String]
  /// Funding and wallet decisions by candle time.
  private let accountNotes: [Int64: [RunLedger.Decision]]

  /// `decisions`: the run's recorded decisions (the caller has read them already).
  public init(
    ledger: RunLedger, run: Int64, symbols: [String], decisions: [RunLedger.Decision]
  ) throws {
    fills = try ledger.recordedFills(run: run)
    var closes: [Int64: [RecordedClose]] = [:]
    for c in try ledger.recordedCloses(run: run) {
      guard let s = symbols.firstIndex(of: c.symbol) else { continue }
      closes[c.time, default: []].append(
        RecordedClose(
          symbol: s, price: c.price, fee: c.fee, reason: ExitReason(rawValue: c.reason) ?? .signal,
          pnl: c.pnl))
    }
    closesByTime = closes
    refusals = try ledger.venueRefusals(run: run)
    accountNotes = Dictionary(
      grouping: decisions.filter { ["funding", "wallet"].contains($0.kind) },
      by: \.candleTime)
  }

  public func fill(_ clientOrderID: String) -> LiveFill? {
    fills[clientOrderID].map {
      LiveFill(orderLinkId: clientOrderID, qty: $0.qty, price: $0.price, fee: $0.fee)
    }
  }
  public func fillTime(_ clientOrderID: String) -> Int64? { fills[clientOrderID]?.time }
  public func closes(_ time: Int64) -> [RecordedClose] { closesByTime[time] ?? [] }
  public func refusal(_ clientOrderID: String) -> String? { refusals[clientOrderID] }
  public func recorded(_ kind: String, at time: Int64) -> [RunLedger.Decision] {
    accountNotes[time]?.filter { $0.kind == kind } ?? []
  }
}

/// A position closed on the exchange, as the ledger recorded it.
public struct RecordedClose: Sendable, Equatable {
  public var symbol: Int
  public var price: Double
  public var fee: Double
  public var reason: ExitReason
  public var note: String?
  /// The trade's booked PnL, when the ledger has it.
  public var pnl: Double?
  public init(
    symbol: Int, price: Double, fee: Double, reason: ExitReason, note: String? = nil,
    pnl: Double? = nil
  ) {
    self.symbol = symbol
    self.price = price
    self.fee = fee
    self.reason = reason
    self.note = note
    self.pnl = pnl
  }
}

/// An incident sink that forwards to a closure (the runner's ledger journal), keeping what
/// arrives before one is set.
public final class IncidentForwarder: LiveIncidentSink, @unchecked Sendable {
  private var forward: ((String, String?, String) -> Void)?
  private var early: [(String, String?, String)] = []

  public init(_ forward: ((_ kind: String, _ symbol: String?, _ detail: String) -> Void)? = nil) {
    self.forward = forward
  }

  public func incident(kind: String, symbol: String?, detail: String) {
    if let forward { forward(kind, symbol, detail) } else { early.append((kind, symbol, detail)) }
  }

  /// Sets the destination and hands it what arrived before.
  public func connect(
    _ forward: @escaping (_ kind: String, _ symbol: String?, _ detail: String) -> Void
  ) {
    self.forward = forward
    for (k, s, d) in early { forward(k, s, d) }
    early.removeAll()
  }
}

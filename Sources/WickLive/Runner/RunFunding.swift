import Foundation
import WickCore
import WickData
import WickSim

extension LedgerJournal {
  /// A funding charge is a decision (kind `funding`): its settlement time, the exchange's rate
  /// and the amount. `wick replay` and a resumed run charge the recorded settlements at the same
  /// candles and compare the amounts.
  /// A live venue matched the exchange's wallet: a decision (kind `wallet`) with the amount and
  /// the figures, re-applied by a resumed run at the same candle.
  public func cashAdjusted(amount: Double, detail: String, time: Int64) {
    decide(
      time, "wallet", symbol: nil,
      DecisionJSON.object([("amount", .number(amount)), ("detail", .string(detail))]))
  }

  public func fundingCharged(symbol: Int, settlement: FundingRate, amount: Double, time: Int64) {
    decide(
      time, "funding", symbol: symbol,
      DecisionJSON.object([
        ("time", .int(settlement.time)), ("rate", .number(settlement.rate)),
        ("amount", .number(amount)),
      ]))
  }
}

/// A recorded `funding` decision: `{"time": settlement, "rate": r, "amount": paid(−)/received(+)}`.
public struct FundingCharge {
  public var symbol: String
  public var settlement: FundingRate
  public var amount: Double

  public init(_ d: RunLedger.Decision) throws {
    // strtod on the recorded bytes: the amounts must read back to the very doubles written.
    let doc = try? JSONDocument(Array(d.detailJSON.utf8))
    guard d.kind == "funding", let symbol = d.symbol, let doc,
      let time = doc.member(doc.root, "time").flatMap(doc.int64),
      let rate = doc.member(doc.root, "rate").flatMap(doc.double),
      let amount = doc.member(doc.root, "amount").flatMap(doc.double)
    else {
      throw WickError.data(
        "decision \(d.seq) at \(UTCTime.iso(d.candleTime)) is not a funding charge {time, rate, amount} with a symbol: \(d.detailJSON)"
      )
    }
    self.symbol = symbol
    settlement = FundingRate(time: time, rate: rate)
    self.amount = amount
  }
}

/// The funding a paper run charges: the exchange's settlements — their times and rates, as
/// Bybit's `/v5/market/funding/history` and Binance's `/fapi/v1/fundingRate` list them, fetched
/// into the cache — each charged at the first candle at or after it; and, while a resumed run or
/// `wick replay` re-handles recorded candles, exactly the settlements the run recorded
/// (`funding` decisions), at the candles it charged them.
public final class RunFunding: FundingFeed {
  let symbols: [String]
  /// Recorded charges by candle time.
  private var recorded: [Int64: [(symbol: Int, settlement: FundingRate)]] = [:]
  /// Candle times up to here take the recorded settlements.
  public private(set) var recordedThrough: Int64 = .min
  /// Listed settlements not handed out yet, per symbol, oldest first.
  private var pending: [[FundingRate]]
  /// Per symbol: settlements at or before this time are done with (charged, or before the run).
  public private(set) var settledThrough: [Int64]
  /// The UTC hour of the last successful fetch, and whether the last attempt failed.
  var fetchedHour: Int64?
  var fetchFailing = false

  public init(symbols: [String]) {
    self.symbols = symbols
    pending = Array(repeating: [], count: symbols.count)
    settledThrough = Array(repeating: .min, count: symbols.count)
  }

  /// Settlements before `time` (the run's first candle) are never charged.
  public func begin(at time: Int64) {
    for i in settledThrough.indices { settledThrough[i] = max(settledThrough[i], time) }
  }

  /// Takes the `funding` decisions of a recorded run: candle times up to `through` charge those.
  public func useRecorded(_ decisions: [RunLedger.Decision], through: Int64) throws {
    recorded.removeAll()
    for d in decisions where d.kind == "funding" {
      let charge = try FundingCharge(d)
      guard let s = symbols.firstIndex(of: charge.symbol) else {
        throw WickError.data(
          "funding decision \(d.seq) at \(UTCTime.iso(d.candleTime)) names \(charge.symbol), not one of the run's symbols"
        )
      }
      recorded[d.candleTime, default: []].append((s, charge.settlement))
      settledThrough[s] = max(settledThrough[s], charge.settlement.time)
    }
    recordedThrough = through
  }

  /// Listed settlements of `symbol` (any order, repeats allowed): the ones not done with wait
  /// for their candle.
  public func add(_ rates: [FundingRate], symbol s: Int) {
    let known = Set(pending[s].map(\.time))
    let fresh = rates.filter { $0.time > settledThrough[s] && !known.contains($0.time) }
    guard !fresh.isEmpty else { return }
    pending[s] = (pending[s] + fresh).sorted { $0.time < $1.time }
  }

  public func settlements(symbol s: Int, at time: Int64) -> [FundingRate] {
    if time <= recordedThrough {
      return recorded[time]?.filter { $0.symbol == s }.map(\.settlement) ?? []
    }
    guard let first = pending[s].first, first.time <= time else { return [] }
    let due = pending[s].prefix { $0.time <= time }
    pending[s].removeFirst(due.count)
    let charged = due.filter { $0.time > settledThrough[s] }
    if let last = charged.last { settledThrough[s] = last.time }
    return Array(charged)
  }
}

extension Runner {
  /// The paper venue's funding (nil live: the exchange books funding on the account itself).
  var funding: RunFunding? { (venue as? SimulatedVenue)?.fundingFeed as? RunFunding }

  /// Paper runs charge the exchange's listed funding.
  func attachFunding() {
    (venue as? SimulatedVenue)?.fundingFeed = RunFunding(symbols: spec.symbols)
  }

  /// Fetches the exchange's settled funding rates into the cache and hands the new ones to the
  /// paper venue: at start (`force`), then whenever the candles enter a new UTC hour (every
  /// funding interval Bybit and Binance use ends on a whole hour). A failed fetch is an incident
  /// (once per outage) and is tried again at the next candle; a settlement found late is charged
  /// then, on the positions that were open at its time.
  func refreshFunding(fetcher: MarketDataFetcher, through time: Int64, force: Bool = false) {
    guard let funding, time > funding.recordedThrough else { return }
    let hour = time / 3_600_000
    if !force, !funding.fetchFailing, funding.fetchedHour == hour { return }
    do {
      for (i, symbol) in spec.symbols.enumerated() {
        let from = funding.settledThrough[i] == .min ? time : funding.settledThrough[i] + 1
        _ = try fetcher.fetchFunding(symbol: symbol, from: from, to: nil)
        funding.add(
          try store.fundingRates(exchange: fetcher.api.storageName, symbol: symbol, from: from),
          symbol: i)
      }
      funding.fetchedHour = hour
      funding.fetchFailing = false
    } catch {
      if !funding.fetchFailing {
        journal.incident(
          time: lastHandled ?? time, kind: "funding_unavailable",
          detail: "cannot read \(spec.exchange)'s funding rates: \(error); trying again each candle"
        )
        try? journal.flushIncidents()
        output("warning: funding rates unavailable: \(error)")
      }
      funding.fetchFailing = true
    }
  }
}

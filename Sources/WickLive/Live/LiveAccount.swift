import Foundation
import WickCore
import WickData
import WickSim

/// What the account checks read from an exchange (every `LiveGateway`; Bybit's venue through
/// its own source).
public protocol LiveAccountSource {
  /// "Binance" (messages).
  var exchangeName: String { get }
  /// The account's USDT figures.
  func wallet() throws -> GatewayWallet
  /// Every open position of the account (foreign-position reports).
  func openPositions() throws -> [GatewayPosition]
  /// Funding settled on `symbol` after `time` (ms), oldest first.
  func funding(symbol: String, after time: Int64) throws -> [GatewayFunding]
}

/// What a live venue knows of the account beyond the run's own orders, and the checks every
/// adapter shares: funding booked once at the exchange's amount, the wallet's drift from the
/// book, positions in symbols the run does not trade.
public struct LiveAccountState {
  /// Per symbol: funding settlements up to this time are booked.
  public var fundingThrough: [String: Int64] = [:]
  /// The UTC hour funding was last looked up, and whether the last look failed.
  var fundingHour: Int64?
  var fundingFailing = false
  /// The wallet balance and the book's cash when they last agreed.
  var baseline: (balance: Double, cash: Double)?
  var walletFailing = false
  /// The last wallet read (equity for sizing, figures for incidents).
  public var wallet: GatewayWallet?
  /// Positions in symbols the run does not trade, as last reported, by symbol.
  var foreign: [String: String] = [:]

  public init() {}
}

extension LiveAccountState {
  /// Drift smaller than this is rounding (1 USDT or 0.1 % of equity, whichever is larger).
  public static func driftTolerance(equity: Double) -> Double { max(1, abs(equity) * 0.001) }

  // MARK: Funding

  /// Books the funding the exchange settled on the run's open positions: looked up when the
  /// candles enter a new UTC hour (every funding interval ends on one) and again at each candle
  /// after a failed look. Each settlement is booked once (by its time, per symbol), at the
  /// exchange's amount, and recorded as a `funding` decision; a resumed run books the recorded
  /// ones at the same candles instead.
  public mutating func bookFunding(
    time: Int64, book: Book, history: LiveHistory?, source: LiveAccountSource,
    incidents: LiveIncidentSink
  ) {

    if let history {
      for d in history.recorded("funding", at: time) {
        guard let charge = try? FundingCharge(d), let s = book.symbols.firstIndex(of: charge.symbol)
        else { continue }
        book.applyFunding(symbol: s, amount: charge.amount)
        book.listener?.fundingApplied(
          symbol: s, settlement: charge.settlement, amount: charge.amount, time: time)
        fundingThrough[charge.symbol] = max(
          fundingThrough[charge.symbol] ?? .min, charge.settlement.time)
      }
      return
    }
    guard book.openCount > 0 else { return }
    let hour = time / 3_600_000
    if !fundingFailing, fundingHour == hour { return }
    do {
      for s in book.positions.indices {
        guard let p = book.positions[s] else { continue }
        let name = book.symbols[s]
        let after = max(p.openedAt, fundingThrough[name] ?? .min)
        for f in try source.funding(symbol: name, after: after) where f.time > after {
          // A long pays a positive rate: rate = -amount / notional when the exchange omits it.
          let notional = p.qty * p.entry
          let rate =
            f.rate ?? (notional > 0 ? -f.amount / notional * (p.side == .long ? 1 : -1) : 0)
          book.applyFunding(symbol: s, amount: f.amount)
          book.listener?.fundingApplied(
            symbol: s, settlement: FundingRate(time: f.time, rate: rate), amount: f.amount,
            time: time)
          fundingThrough[name] = f.time
        }
      }
      fundingHour = hour
      fundingFailing = false
    } catch {
      if !fundingFailing {
        incidents.incident(
          kind: LiveIncident.fundingUnavailable, symbol: nil,
          detail:
            "cannot read the funding \(source.exchangeName) settled: \(error); looked up again each candle"
        )
      }
      fundingFailing = true
    }
  }

  // MARK: Wallet and foreign positions

  /// At each candle: the wallet balance must move as the book's cash did (fees, realised PnL,
  /// funding). A difference beyond `driftTolerance` moved outside the run: an `equity_drift`
  /// incident with the figures, and the book's cash follows the exchange (recorded as a `wallet`
  /// decision). Positions in symbols the run does not trade are reported, never adopted.
  public mutating func check(
    time: Int64, book: Book, source: LiveAccountSource, incidents: LiveIncidentSink
  ) {
    do {
      let read = try source.wallet()
      wallet = read
      if walletFailing {
        walletFailing = false
        baseline = nil  // balance moves while blind are not attributable: start afresh
      }
      syncWallet(read, time: time, book: book, incidents: incidents)
      try reportForeignPositions(
        equity: read.equity, book: book, source: source, incidents: incidents)
    } catch {
      if !walletFailing {
        incidents.incident(
          kind: LiveIncident.walletUnavailable, symbol: nil,
          detail:
            "cannot read the \(source.exchangeName) wallet or positions: \(error); sizing keeps the book's equity"
        )
      }
      walletFailing = true
    }
  }

  private mutating func syncWallet(
    _ w: GatewayWallet, time: Int64, book: Book, incidents: LiveIncidentSink
  ) {
    guard let base = baseline else {
      baseline = (w.balance, book.cash)
      return
    }
    let exchange = w.balance - base.balance
    let booked = book.cash - base.cash
    let drift = exchange - booked
    guard abs(drift) > Self.driftTolerance(equity: w.equity) else { return }
    let f = { (x: Double) in String(format: "%.2f", x) }
    let detail =
      "wallet balance \(f(base.balance)) → \(f(w.balance)) (\(f(exchange))), the run booked \(f(booked)) in fees, PnL and funding: \(f(drift)) moved outside the run; equity now \(f(w.equity))"
    book.adjustCash(by: drift, detail: detail, time: time)
    incidents.incident(kind: LiveIncident.equityDrift, symbol: nil, detail: detail)
    baseline = (w.balance, book.cash)
  }

  private mutating func reportForeignPositions(
    equity: Double, book: Book, source: LiveAccountSource, incidents: LiveIncidentSink
  ) throws {
    var seen: [String: String] = [:]
    for p in try source.openPositions() where !book.symbols.contains(p.symbol) {
      let held = "\(p.side?.rawValue ?? "?") \(p.size) \(p.symbol) at \(p.entryPrice)"
      seen[p.symbol] = held
      guard foreign[p.symbol] != held else { continue }
      let value = p.size * p.entryPrice
      let share = equity > 0 ? value / equity * 100 : 0
      incidents.incident(
        kind: LiveIncident.foreignPosition, symbol: p.symbol,
        detail:
          "the account holds \(held) (value \(String(format: "%.2f", value)), \(String(format: "%.1f", share))% of equity \(String(format: "%.2f", equity))), which this run does not trade; not adopted, counted in the wallet's equity"
      )
    }
    foreign = seen
  }

  /// A resumed run re-applies the wallet adjustments it recorded at this candle.
  public static func applyRecordedWallet(time: Int64, book: Book, history: LiveHistory?) {
    guard let history else { return }
    for d in history.recorded("wallet", at: time) {
      guard let doc = try? JSONDocument(Array(d.detailJSON.utf8)),
        let amount = doc.member(doc.root, "amount").flatMap(doc.double),
        let object = try? JSONSerialization.jsonObject(with: Data(d.detailJSON.utf8))
          as? [String: Any],
        let detail = object["detail"] as? String
      else { continue }
      book.adjustCash(by: amount, detail: detail, time: time)
    }
  }
}

import Foundation
import WickCore
import WickLive
import WickData
import WickSim

/// What the live venue knows of the Bybit account beyond the run's own orders.
struct LiveAccountState {
  /// Per symbol: funding settlements up to this time are booked.
  var fundingThrough: [String: Int64] = [:]
  /// The UTC hour funding was last looked up, and whether the last look failed.
  var fundingHour: Int64?
  var fundingFailing = false
  /// The wallet balance and the book's cash when they last agreed.
  var baseline: (balance: Double, cash: Double)?
  var walletFailing = false
  /// The last wallet read (equity for sizing, figures for incidents).
  var wallet: BybitWallet?
  /// Positions in symbols the run does not trade, as last reported, by symbol.
  var foreign: [String: String] = [:]
}

extension BybitVenue {
  /// Drift between the exchange's wallet and the book smaller than this is rounding (1 USDT or
  /// 0.1 % of equity, whichever is larger).
  static func driftTolerance(equity: Double) -> Double { max(1, abs(equity) * 0.001) }

  // MARK: Funding

  /// Books the funding Bybit settled on the run's open positions (`execType` "Funding" in
  /// `/v5/execution/list`): looked up when the candles enter a new UTC hour (every funding
  /// interval ends on one) and again at each candle after a failed look. Each settlement is
  /// booked once, at the exchange's amount, and recorded as a `funding` decision; a resumed run
  /// books the recorded ones at the same candles instead.
  func bookExchangeFunding(time: Int64) {
    if let history {
      for d in history.recorded("funding", at: time) {
        guard let charge = try? FundingCharge(d), let s = book.symbols.firstIndex(of: charge.symbol)
        else { continue }
        book.applyFunding(symbol: s, amount: charge.amount)
        book.listener?.fundingApplied(
          symbol: s, settlement: charge.settlement, amount: charge.amount, time: time)
        account.fundingThrough[charge.symbol] = max(
          account.fundingThrough[charge.symbol] ?? .min, charge.settlement.time)
      }
      return
    }
    guard book.openCount > 0 else { return }
    let hour = time / 3_600_000
    if !account.fundingFailing, account.fundingHour == hour { return }
    do {
      for s in book.positions.indices {
        guard let p = book.positions[s] else { continue }
        let name = book.symbols[s]
        let after = max(p.openedAt, account.fundingThrough[name] ?? .min)
        let settled = try executor.api.fundingExecutions(symbol: name, since: after + 1)
          .filter { $0.time > after }.sorted { $0.time < $1.time }
        for e in settled {
          let amount = -e.fee
          book.applyFunding(symbol: s, amount: amount)
          book.listener?.fundingApplied(
            symbol: s, settlement: FundingRate(time: e.time, rate: e.feeRate ?? 0),
            amount: amount, time: time)
          account.fundingThrough[name] = e.time
        }
      }
      account.fundingHour = hour
      account.fundingFailing = false
    } catch {
      if !account.fundingFailing {
        incidents.incident(
          kind: LiveIncident.fundingUnavailable, symbol: nil,
          detail: "cannot read the funding Bybit settled: \(error); looked up again each candle")
      }
      account.fundingFailing = true
    }
  }

  // MARK: Wallet and foreign positions

  /// At each candle's reconciliation: the unified account's USDT wallet and every open position.
  /// - The wallet balance must move as the book's cash did (fees, realised PnL, funding). A
  ///   difference beyond `driftTolerance` is money that moved outside the run (a deposit, a
  ///   withdrawal, another program's trade): an `equity_drift` incident with the figures, and the
  ///   book's cash follows the exchange (recorded as a `wallet` decision), so sizing uses the
  ///   exchange's equity.
  /// - A position in a symbol the run does not trade is reported (`foreign_position`, when first
  ///   seen or changed) and never adopted. It does not halt the run: Wick cannot act on it, and
  ///   another program (or another run) trading other symbols on the account is a legitimate
  ///   setup; its losses reach the run through the wallet (smaller sizes), its figures through
  ///   the incident.
  func checkAccount(time: Int64) {
    do {
      let wallet = try executor.api.wallet()
      account.wallet = wallet
      if account.walletFailing {
        account.walletFailing = false
        account.baseline = nil  // balance moves while blind are not attributable: start afresh
      }
      syncWallet(wallet, time: time)
      try reportForeignPositions(equity: wallet.equity)
    } catch {
      if !account.walletFailing {
        incidents.incident(
          kind: LiveIncident.walletUnavailable, symbol: nil,
          detail:
            "cannot read the Bybit wallet or positions: \(error); sizing keeps the book's equity")
      }
      account.walletFailing = true
    }
  }

  private func syncWallet(_ w: BybitWallet, time: Int64) {
    guard let base = account.baseline else {
      account.baseline = (w.walletBalance, book.cash)
      return
    }
    let exchange = w.walletBalance - base.balance
    let booked = book.cash - base.cash
    let drift = exchange - booked
    guard abs(drift) > Self.driftTolerance(equity: w.equity) else { return }
    let f = { (x: Double) in String(format: "%.2f", x) }
    let detail =
      "wallet balance \(f(base.balance)) → \(f(w.walletBalance)) (\(f(exchange))), the run booked \(f(booked)) in fees, PnL and funding: \(f(drift)) moved outside the run; equity now \(f(w.equity))"
    book.adjustCash(by: drift, detail: detail, time: time)
    incidents.incident(kind: LiveIncident.equityDrift, symbol: nil, detail: detail)
    account.baseline = (w.walletBalance, book.cash)
  }

  private func reportForeignPositions(equity: Double) throws {
    var seen: [String: String] = [:]
    for p in try executor.api.openPositions() where !book.symbols.contains(p.symbol) {
      let held = "\(p.side?.rawValue ?? "?") \(p.size) \(p.symbol) at \(p.avgPrice)"
      seen[p.symbol] = held
      guard account.foreign[p.symbol] != held else { continue }
      let value = p.size * p.avgPrice
      let share = equity > 0 ? value / equity * 100 : 0
      let figures =
        "\(held) (value \(String(format: "%.2f", value)), \(String(format: "%.1f", share))% of equity \(String(format: "%.2f", equity)))"
      incidents.incident(
        kind: LiveIncident.foreignPosition, symbol: p.symbol,
        detail:
          "the account holds \(figures), which this run does not trade; not adopted, counted in the wallet's equity"
      )
    }
    account.foreign = seen
  }

  /// A resumed run re-applies the wallet adjustments it recorded at this candle.
  func applyRecordedWallet(time: Int64) {
    guard let history else { return }
    for d in history.recorded("wallet", at: time) {
      // The amount read with strtod (the very double written), the text unescaped by Foundation.
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

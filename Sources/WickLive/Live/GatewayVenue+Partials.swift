import Foundation
import WickCore
import WickSim

/// The live venue's partial closes (`ctx:exit{fraction = ...}`), from the kernel's
/// `submit(partialExit:)` to the part closed in the book.
struct LivePartials {
  /// Decided on the candle being handled, by symbol: the kernel's floored fraction.
  var recorded: [(fraction: Double, reason: String?)?] = []
  /// Transmitted, reaching the book at the next `execute`.
  var sent: [(symbol: Int, fill: LiveFill?, reason: String?)] = []
  /// Re-decided while re-handling without a recorded fill (in flight at the crash), with the
  /// quantity decided then.
  var unresolved: [(symbol: Int, id: String, qty: Double, reason: String?)] = []
}

extension GatewayVenue {
  /// What the shared live path executes besides market entries and full exits, on every
  /// exchange: reduce-only partial closes and adds (a pair needs no capability).
  public static let sharedCapabilities: VenueCapabilities = [.partialExits, .adds]

  /// A partial close of the kernel's already floored `fraction`: sent at `send()` as a
  /// reduce-only market order for that part of the book's quantity. A full exit wins.
  public func submit(partialExit symbol: Int, fraction: Double, reason: String?) {
    if recordedExits[symbol] != nil { return }
    partials.recorded[symbol] = (fraction, reason)
  }

  /// The partial close's quantity and id for a decision made now.
  private func partialOrder(_ s: Int, fraction: Double) -> (qty: Double, id: String) {
    (
      (book.positions[s]?.qty ?? 0) * fraction,
      EntryOrder.clientOrderID(run: run, time: decisionTime, symbol: book.symbols[s], kind: "xp")
    )
  }

  /// `send()`: each recorded partial close goes out under its id.
  func sendPartials() {
    for s in partials.recorded.indices {
      guard let (fraction, reason) = partials.recorded[s] else { continue }
      partials.recorded[s] = nil
      let (qty, id) = partialOrder(s, fraction: fraction)
      sendPartial(s, qty: qty, id: id, reason: reason)
    }
  }

  /// Sends a reduce-only partial close under its id; a failure leaves the whole position under
  /// its exchange stop, with an incident.
  private func sendPartial(_ s: Int, qty: Double, id: String, reason: String?) {
    let name = book.symbols[s]
    do {
      let fill = try executor.reduce(
        symbol: name, qty: qty, clientOrderID: id, instrument: try instrument(name))
      partials.sent.append((s, fill, reason))
    } catch {
      incidents.incident(
        kind: "exit_failed", symbol: name,
        detail: "\(id): \(error); the position keeps its exchange stop")
    }
  }

  /// While re-handling: a partial close the ledger has a fill for is applied from it; one
  /// without waits for `finishPartials`.
  func replayPartials(_ history: LiveHistory) {
    for s in partials.recorded.indices {
      guard let (fraction, reason) = partials.recorded[s] else { continue }
      partials.recorded[s] = nil
      let (qty, id) = partialOrder(s, fraction: fraction)
      if let fill = history.fill(id) {
        partials.sent.append((s, fill, reason))
      } else {
        partials.unresolved.append((s, id, qty, reason))
      }
    }
  }

  /// After re-handling: a partial close in flight at the crash is found by its id if it went
  /// out, else sent now for the recorded part (reduce-only, so always safe to complete late).
  func finishPartials() {
    for (s, id, qty, reason) in partials.unresolved {
      sendPartial(s, qty: qty, id: id, reason: reason)
    }
    partials.unresolved.removeAll()
  }

  /// `execute`: the partial closes' fills reach the book. That part of the position closes at
  /// the exchange's price (all of it when the exchange filled the whole, e.g. after a stop
  /// shrank it first).
  func applyPartials(time: Int64) {
    for (s, fill, reason) in partials.sent {
      guard let fill, fill.qty > 0, let p = book.positions[s] else { continue }
      let execution = Execution(price: fill.price, fee: fill.fee)
      if fill.qty < p.qty * (1 - 1e-9) {
        book.closePart(
          symbol: s, qty: fill.qty, execution: execution, time: time, reason: .signal,
          note: reason)
      } else {
        book.close(symbol: s, execution: execution, time: time, reason: .signal, note: reason)
      }
    }
    partials.sent.removeAll()
  }

  /// An entry's fill reaches the book: a new position, or the added quantity of an add.
  func fillEntry(_ intent: OrderIntent, fill: LiveFill, time: Int64) {
    let execution = Execution(price: fill.price, fee: fill.fee)
    let s = intent.symbol
    if intent.add, book.positions[s] != nil {
      book.add(symbol: s, qty: fill.qty, execution: execution, time: time, intent: intent)
    } else {
      book.open(
        symbol: s, side: intent.side, qty: fill.qty, execution: execution, time: time,
        intent: intent)
    }
  }
}

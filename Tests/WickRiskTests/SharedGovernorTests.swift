import Testing
import WickCore

@testable import WickRisk

/// Claims held in memory, as the ledger's `symbol_owners` holds them across processes.
final class MemoryClaims: SymbolClaims {
  var owners: [String: String]
  let me: String
  init(_ me: String, shared owners: [String: String] = [:]) {
    self.me = me
    self.owners = owners
  }
  func claim(symbol: String, account: String) -> Refusal? {
    if let owner = owners[symbol], owner != me {
      return Refusal("symbol_owned", "\(symbol) is owned by \(owner)")
    }
    owners[symbol] = me
    return nil
  }
}

/// A recorded outcome to re-apply (what a resumed run's journal supplies).
final class Recorded: RecordedVerdicts {
  var outcome: IntentOutcome?
  func recordedOutcome(time: Int64) -> IntentOutcome? { outcome }
}

/// Two runs of one process under one `SharedGovernor`.
@Suite struct SharedGovernorTests {
  struct Group {
    let shared: SharedGovernor
    let gates: [GroupRiskGate]
    let books: [FakePortfolio]
  }

  func group(
    symbols: [[String]] = [["BTCUSDT"], ["ETHUSDT"]],
    _ configure: (inout WickConfig) -> Void = { _ in }
  )
    -> Group
  {
    var c = WickConfig()
    configure(&c)
    let shared = SharedGovernor(config: c)
    var gates: [GroupRiskGate] = []
    var books: [FakePortfolio] = []
    for s in symbols {
      let book = FakePortfolio(symbols: s, prices: s.map { _ in 100 }, cash: 10_000)
      let gate = GroupRiskGate(
        config: c, strategy: "s", symbols: s, initialEquity: 10_000, shared: shared)
      shared.attach(member: gate.member, portfolio: book)
      gates.append(gate)
      books.append(book)
    }
    return Group(shared: shared, gates: gates, books: books)
  }

  func enter(_ g: Group, _ run: Int, side: Side = .long, time: Int64 = t0) -> IntentOutcome {
    _ = g.gates[run].advance(to: time, portfolio: g.books[run])
    return g.gates[run].review(
      RiskRequest(
        intent: OrderIntent(symbol: 0, side: side, stop: side == .long ? 90 : 110),
        referencePrice: 100, time: time),
      portfolio: g.books[run])
  }

  @Test func maxConcurrentPositionsCountsEveryRun() {
    let g = group { $0.governor.maxConcurrentPositions = 1 }
    guard case .accepted = enter(g, 0) else {
      Issue.record("the first run's entry is refused")
      return
    }
    g.books[0].pendingEntries = 1  // accepted, waiting for the next open
    guard case .refused(let r) = enter(g, 1) else {
      Issue.record("the second run's entry passed the process-wide limit")
      return
    }
    #expect(r.code == "max_positions")
    // Alone, the second run is within its own limit.
    #expect(enter(group { $0.governor.maxConcurrentPositions = 1 }, 1).isAccepted)
  }

  @Test func oneOwnerPerSymbolAcrossRunsThroughTheClaims() {
    let g = group(symbols: [["BTCUSDT"], ["BTCUSDT"]])
    let ledger = MemoryClaims("run 1")
    g.gates[0].claims = ledger
    g.gates[1].claims = MemoryClaims("run 2", shared: [:])
    #expect(enter(g, 0).isAccepted)
    (g.gates[1].claims as! MemoryClaims).owners = ledger.owners
    var printed: [String] = []
    g.gates[1].onSharedRefusal = { symbol, r in printed.append("\(symbol) \(r.code)") }
    guard case .refused(let r) = enter(g, 1) else {
      Issue.record("a second owner was accepted")
      return
    }
    #expect(r.code == "symbol_owned" && r.detail.contains("run 1"))
    #expect(printed == ["BTCUSDT symbol_owned"])
  }

  @Test func netExposureBreachInOneRunCoolsDownTheOther() {
    let g = group {
      $0.governor.maxNetExposurePct = 0.5
      $0.governor.noOpposingExposure = false
    }
    // Run 1 holds 9,500 long; the runs' equity is 20,000: run 2's 1,000 long would pass 50%.
    g.books[0].positions[0] = position(0, .long, qty: 95, entry: 100)
    guard case .refused(let r) = enter(g, 1) else {
      Issue.record("net exposure across runs not capped")
      return
    }
    #expect(r.code == "net_exposure_cap")
    #expect(g.gates[1].events.contains { $0.kind == .breach })
    // The breach pauses entries in run 1 too, even one that reduces exposure.
    guard case .refused(let cool) = enter(g, 0, side: .short, time: t0 + 60_000) else {
      Issue.record("no cooldown in the other run")
      return
    }
    #expect(cool.code == "cooldown")
  }

  @Test func totalLossOfAllRunsTriggersTheEmergencyStopOnce() {
    let g = group { $0.caps.maxTotalLoss = 100 }
    g.books[0].cash -= 60
    #expect(g.shared.checkTotalLoss() == nil)  // one run's loss alone is under the cap
    g.books[1].cash -= 50
    let reason = g.shared.checkTotalLoss()
    #expect(reason?.contains("total loss 110") == true)
    #expect(g.shared.checkTotalLoss() == nil)
    guard case .refused(let r) = enter(g, 1) else {
      Issue.record("entries accepted after the emergency stop")
      return
    }
    #expect(r.code == "emergency_stop")
  }

  @Test func dailyLossCapCountsEveryRun() {
    let g = group { $0.caps.maxDailyLoss = 80 }
    _ = g.gates[0].advance(to: t0, portfolio: g.books[0])
    _ = g.gates[1].advance(to: t0, portfolio: g.books[1])
    g.books[0].cash -= 50
    g.books[1].cash -= 40
    guard case .refused(let r) = enter(g, 0, time: t0 + 60_000) else {
      Issue.record("the runs' combined daily loss is not capped")
      return
    }
    #expect(r.code == "daily_loss_cap")
    // The next UTC day starts from the equity then.
    #expect(enter(g, 0, time: t0 + day + 4 * 3_600_000).isAccepted)
  }

  @Test func recordedVerdictsAreReappliedNotRedecided() {
    let g = group { $0.governor.maxConcurrentPositions = 1 }
    let recorded = Recorded()
    g.gates[1].verdicts = recorded
    // Live, run 2 would be accepted (nothing is open); the record says it was refused.
    recorded.outcome = .refused(Refusal("max_positions", "1 positions open (limit 1)"))
    guard case .refused(let r) = enter(g, 1) else {
      Issue.record("the recorded refusal was not re-applied")
      return
    }
    #expect(r == Refusal("max_positions", "1 positions open (limit 1)"))
    // And a recorded acceptance stands even where the shared governor would now refuse.
    g.books[0].positions[0] = position(0, .long, qty: 1, entry: 100)
    recorded.outcome = .accepted(qty: 0)
    #expect(enter(g, 1).isAccepted)
    // The run's own rules still decide first (here: no stop).
    let noStop = g.gates[1].review(
      RiskRequest(
        intent: OrderIntent(symbol: 0, side: .long, stop: nil), referencePrice: 100, time: t0),
      portfolio: g.books[1])
    #expect(!noStop.isAccepted)
  }
}

extension IntentOutcome {
  var isAccepted: Bool {
    if case .accepted = self { return true }
    return false
  }
}

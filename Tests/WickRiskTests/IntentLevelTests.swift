import Testing
import WickCore

@testable import WickRisk

/// Stops and takes that cannot be right are refused with a reason, by both gates: a plain
/// backtest's sizing and the full risk engine. The price is 100 in every case.
@Suite struct IntentLevelTests {
  static let cases: [(Side, Double?, Double?, String?)] = [
    (.long, 95, 110, nil),
    (.short, 105, 90, nil),
    (.long, -5, nil, "stop_not_positive"),
    (.long, 0, nil, "stop_not_positive"),
    (.long, 95, 0, "take_not_positive"),
    (.long, 95, -1, "take_not_positive"),
    (.long, 105, nil, "stop_wrong_side"),
    (.long, 100, nil, "stop_wrong_side"),
    (.short, 95, nil, "stop_wrong_side"),
    (.long, 95, 90, "take_wrong_side"),
    (.long, 95, 100, "take_wrong_side"),
    (.short, 105, 101, "take_wrong_side"),
  ]

  func request(_ side: Side, stop: Double?, take: Double?) -> RiskRequest {
    RiskRequest(
      intent: OrderIntent(symbol: 0, side: side, stop: stop, take: take), referencePrice: 100,
      time: t0)
  }

  @Test(arguments: cases.indices)
  func sizingOnlyGate(index: Int) {
    let (side, stop, take, expected) = Self.cases[index]
    let outcome = FixedFractionSizer().review(
      request(side, stop: stop, take: take), portfolio: FakePortfolio())
    #expect(code(outcome) == expected, "\(Self.cases[index])")
  }

  @Test(arguments: cases.indices)
  func fullRiskEngine(index: Int) {
    let (side, stop, take, expected) = Self.cases[index]
    let e = engine()
    let outcome = e.review(request(side, stop: stop, take: take), portfolio: FakePortfolio())
    #expect(code(outcome) == expected, "\(Self.cases[index])")
    if let expected {
      #expect(e.events.last?.detail.hasPrefix(expected) == true, "\(e.events.last?.detail ?? "")")
    }
  }

  @Test func theReasonSaysWhatIsWrong() {
    let outcome = FixedFractionSizer().review(
      request(.long, stop: 95, take: 90), portfolio: FakePortfolio())
    guard case .refused(let r) = outcome else {
      Issue.record("accepted")
      return
    }
    #expect(
      r.description == "take_wrong_side: take 90 is not on the winning side of 100 for a long")
  }
}

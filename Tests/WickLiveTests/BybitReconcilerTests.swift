import Foundation
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickBybit
@testable import WickLive

@Suite(.serialized) struct BybitReconcilerTests {
  func local(_ qty: Double = 0.01, side: Side = .long) -> [LocalPosition] {
    [
      LocalPosition(
        symbol: "BTCUSDT", side: side, qty: qty, stop: 59_000, take: 62_000,
        entryLinkID: "w1-1700000000-BTCUSDT-e")
    ]
  }

  func reconcile(_ rig: LiveRig, _ positions: [LocalPosition]) throws -> LiveReconcileReport {
    try LiveReconciler(executor: rig.executor, run: 1).reconcile(
      local: positions, symbols: ["BTCUSDT"], instruments: ["BTCUSDT": rig.btc])
  }

  @Test func inAgreementNothingHappens() throws {
    let rig = try LiveRig()
    _ = try rig.enterLong()
    let sent = rig.bybit.requests.count
    let report = try reconcile(rig, local())
    #expect(report.isClean)
    #expect(!rig.bybit.requests[sent...].contains { $0.hasPrefix("POST") })
  }

  @Test func aMissingStopIsPutBack() throws {
    let rig = try LiveRig()
    _ = try rig.enterLong()
    rig.bybit.removeStop("BTCUSDT")
    let report = try reconcile(rig, local())
    #expect(report.restoredStops == ["BTCUSDT"])
    #expect(rig.bybit.position("BTCUSDT")?.stopLoss == 59_000)
    #expect(rig.incidents.kinds == [LiveIncident.stopRestored])
  }

  @Test func aStopThatCannotBePutBackClosesThePosition() throws {
    let rig = try LiveRig()
    _ = try rig.enterLong()
    rig.bybit.removeStop("BTCUSDT")
    rig.bybit.tradingStopFaults = [.retCode(10001, "params error")]
    let report = try reconcile(rig, local())
    #expect(report.panicClosed == ["BTCUSDT"])
    #expect(rig.bybit.position("BTCUSDT") == nil)
    #expect(rig.incidents.kinds == [LiveIncident.stopNotPlaced, LiveIncident.panicClose])
  }

  @Test func aPositionWickDidNotOpenHaltsAndIsNotAdopted() throws {
    let rig = try LiveRig()
    rig.bybit.openForeignPosition("BTCUSDT", side: "Sell", size: 0.5)
    let report = try reconcile(rig, [])
    #expect(report.halts["BTCUSDT"]?.contains("not adopted") == true)
    #expect(rig.incidents.kinds == [LiveIncident.unknownPosition])
    // Nothing was sent: no stop put on it, no close.
    #expect(!rig.bybit.requests.contains { $0.hasPrefix("POST") })
    #expect(rig.bybit.position("BTCUSDT")?.size == 0.5)
  }

  @Test func aSizeMismatchHalts() throws {
    let rig = try LiveRig()
    _ = try rig.enterLong()
    let report = try reconcile(rig, local(0.02))
    #expect(report.halts["BTCUSDT"] != nil)
    #expect(rig.incidents.kinds == [LiveIncident.sizeMismatch])
    let sideReport = try reconcile(rig, local(0.01, side: .short))
    #expect(sideReport.halts["BTCUSDT"] != nil)
  }

  @Test func aPositionClosedByItsStopWhileAwayIsReportedWithItsFill() throws {
    let rig = try LiveRig()
    _ = try rig.enterLong()
    rig.bybit.triggerStop("BTCUSDT")
    let report = try reconcile(rig, local())
    let last = try #require(report.closedOnExchange["BTCUSDT"] ?? nil)
    #expect(last.price == 59_000 && last.qty == 0.01)
    // The exchange's last fill is the stop's closing sell.
    #expect(rig.bybit.executions.last?.side == "Sell")
    #expect(rig.incidents.kinds == [LiveIncident.closedOnExchange])
    #expect(report.halts.isEmpty)
  }
}

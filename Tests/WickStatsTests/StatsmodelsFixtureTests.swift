import Foundation
import Testing

@testable import WickStats

/// WickStats against statsmodels on fixed series (see Fixtures/make_fixtures.py).
@Suite struct StatsmodelsFixtureTests {
  struct Case: Decodable {
    var name: String
    var y: [Double]
    var x: [Double]
    var coint_stat: Double
    var coint_pvalue: Double
    var adf_stat: Double
    var adf_pvalue: Double
    var adf_usedlag: Int
  }
  struct Fixture: Decodable {
    var statsmodels: String
    var cases: [Case]
  }

  static let fixture: Fixture = {
    let data = FileManager.default.contents(atPath: "Tests/WickStatsTests/Fixtures/coint.json")!
    return try! JSONDecoder().decode(Fixture.self, from: data)
  }()

  @Test(arguments: Self.fixture.cases.map(\.name))
  func engleGrangerMatchesStatsmodelsCoint(name: String) throws {
    let c = try #require(Self.fixture.cases.first { $0.name == name })
    let r = try #require(EngleGranger.test(y: c.y, x: c.x))
    #expect(
      abs(r.adfStatistic - c.coint_stat) <= 1e-6 * abs(c.coint_stat),
      "\(name): \(r.adfStatistic) vs \(c.coint_stat)")
    #expect(abs(r.pValue - c.coint_pvalue) <= 1e-4, "\(name): \(r.pValue) vs \(c.coint_pvalue)")
  }

  @Test(arguments: Self.fixture.cases.map(\.name))
  func adfMatchesStatsmodelsAdfuller(name: String) throws {
    let c = try #require(Self.fixture.cases.first { $0.name == name })
    let r = try #require(ADF.test(c.y, trend: .constant))
    #expect(r.usedLag == c.adf_usedlag, "\(name)")
    #expect(
      abs(r.statistic - c.adf_stat) <= 1e-6 * abs(c.adf_stat),
      "\(name): \(r.statistic) vs \(c.adf_stat)")
    #expect(abs(MacKinnon.pValue(r.statistic, variables: 1) - c.adf_pvalue) <= 1e-4, "\(name)")
  }
}

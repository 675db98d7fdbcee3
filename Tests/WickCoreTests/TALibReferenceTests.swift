import Foundation
import Testing

@testable import WickCore

/// Every indicator against the values TA-Lib (pandas where TA-Lib has no such function)
/// computes for the same candles: Fixtures/indicators.json, made by make_indicator_fixtures.py.
/// Where the reference has no value yet the indicator must be nil, and everywhere else within
/// 1e-6.
@Suite struct TALibReferenceTests {
  struct Fixture: Decodable {
    struct Candles: Decodable {
      let t: [Int64]
      let open, high, low, close, volume: [Double]
    }
    struct Case: Decodable {
      let args: [Double]
      let outputs: [[Double?]]
    }
    let candles: Candles
    let cases: [String: Case]
  }

  static let fixture: Fixture = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/indicators.json")
    let data = try! Data(contentsOf: url)
    return try! JSONDecoder().decode(Fixture.self, from: data)
  }()

  static let tolerance = 1e-6

  /// The indicator named `name` built from the fixture's arguments, as a function of candle i
  /// giving its outputs (nil while warming).
  static func indicator(_ name: String, _ a: [Double]) -> (Int) -> [Double]? {
    let c = fixture.candles
    func multi(_ ind: MultiOutputIndicator) -> (Int) -> [Double]? {
      var input = [Double](repeating: 0, count: 5)
      var output = [Double](repeating: 0, count: 4)
      return { i in
        let row = [Double(c.t[i]), c.high[i], c.low[i], c.close[i], c.volume[i]]
        // Each indicator's inputs, in the order its Lua update takes them.
        let take: [Int]
        switch ind.inputCount {
        case 1: take = [3]
        case 2: take = [1, 2]
        case 3: take = [1, 2, 3]
        case 4: take = [1, 2, 3, 4]
        default: take = [0, 1, 2, 3, 4]
        }
        for (k, j) in take.enumerated() { input[k] = row[j] }
        let ok = input.withUnsafeBufferPointer { inp in
          output.withUnsafeMutableBufferPointer { ind.update(inp.baseAddress!, $0.baseAddress!) }
        }
        return ok ? Array(output[0..<ind.outputCount]) : nil
      }
    }
    func single(_ ind: StreamingIndicator, _ inputs: @escaping (Int) -> (Double, Double, Double))
      -> (Int) -> [Double]?
    {
      return { i in
        let (x, y, z) = inputs(i)
        return ind.update(x, y, z).map { [$0] }
      }
    }
    let closeOnly = { (i: Int) in (c.close[i], 0.0, 0.0) }
    let hlc = { (i: Int) in (c.high[i], c.low[i], c.close[i]) }
    let n = a.first.map { Int($0) } ?? 0
    switch name {
    case "macd": return multi(MACD(fast: n, slow: Int(a[1]), signal: Int(a[2])))
    case "bbands": return multi(BollingerBands(period: n, deviationsUp: a[1], deviationsDown: a[1]))
    case "adx": return multi(ADX(period: n))
    case "stoch": return multi(Stochastic(fastK: n, slowK: Int(a[1]), slowD: Int(a[2])))
    case "stochrsi": return multi(StochasticRSI(period: n, fastK: Int(a[1]), fastD: Int(a[2])))
    case "cci": return single(CCI(period: n), hlc)
    case "mfi": return multi(MFI(period: n))
    case "obv": return single(OBV(), { i in (c.close[i], c.volume[i], 0) })
    case "wma": return single(WMA(period: n), closeOnly)
    case "dema": return single(MultipleEMA(period: n, kind: .double), closeOnly)
    case "tema": return single(MultipleEMA(period: n, kind: .triple), closeOnly)
    case "kama": return single(KAMA(period: n), closeOnly)
    case "roc": return single(ROC(period: n), closeOnly)
    case "willr": return single(WilliamsR(period: n), hlc)
    case "natr": return single(NATR(period: n), hlc)
    case "psar":
      return single(
        ParabolicSAR(acceleration: a[0], maximum: a[1]), { i in (c.high[i], c.low[i], 0) })
    case "keltner": return multi(KeltnerChannels(period: n, multiplier: a[1]))
    case "donchian": return multi(DonchianChannels(period: n))
    case "vwap": return multi(VWAP())
    case "supertrend": return multi(Supertrend(period: n, multiplier: a[1]))
    default: fatalError("no indicator \(name)")
    }
  }

  static let names = [
    "macd", "bbands", "adx", "stoch", "stochrsi", "cci", "mfi", "obv", "wma", "dema", "tema",
    "kama", "roc", "willr", "natr", "keltner", "donchian", "vwap", "supertrend", "psar",
  ]

  @Test func everyFixtureCaseIsTested() {
    #expect(Set(Self.fixture.cases.keys) == Set(Self.names))
  }

  @Test(arguments: names)
  func matchesReference(name: String) throws {
    let reference = try #require(Self.fixture.cases[name])
    let update = Self.indicator(name, reference.args)
    var largest = 0.0
    var compared = 0
    for i in Self.fixture.candles.t.indices {
      let mine = update(i)
      let expected = reference.outputs.map { $0[i] }
      // A multi-output indicator reports all its values once all are warm (ADX after its DIs).
      if expected.contains(where: { $0 == nil }) {
        #expect(mine == nil, "\(name) at \(i): \(mine!) before the reference has a value")
        continue
      }
      guard let mine else {
        Issue.record("\(name) at \(i): nil, expected \(expected)")
        continue
      }
      for (k, e) in expected.enumerated() {
        let e = try #require(e, "\(name) output \(k) at \(i)")
        largest = max(largest, abs(mine[k] - e))
        compared += 1
      }
    }
    #expect(compared > 700)
    #expect(largest <= Self.tolerance, "\(name): largest deviation \(largest)")
    print("TA-Lib reference \(name): largest deviation \(largest) over \(compared) values")
  }
}

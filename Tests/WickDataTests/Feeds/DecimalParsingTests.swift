import Foundation
import Testing

@testable import WickData

/// Exchange prices and sizes arrive as decimal strings. The common shape is converted without
/// `strtod` (JSONDocument.plainDecimal); every value must be the very double `strtod` gives.
@Suite struct DecimalParsingTests {
  func viaStrtod(_ text: String) -> Double? {
    var end: UnsafeMutablePointer<CChar>? = nil
    return text.withCString { start -> Double? in
      let d = strtod(start, &end)
      guard let end, UnsafePointer(end) - start == text.utf8.count, d.isFinite else { return nil }
      return d
    }
  }

  func viaDocument(_ text: String) throws -> Double? {
    let doc = try JSONDocument(Array("[\"\(text)\"]".utf8))
    guard case .array(let items) = doc.root else { return nil }
    return doc.double(items[0])
  }

  @Test func everyDecimalReadsAsStrtodReadsIt() throws {
    var rng = Xoshiro256StarStar(seed: 2026)
    var cases = [
      "0", "-0", "0.0", "-0.0", "1.", ".5", "-.5", "42000.1", "0.001", "9007199254740992",
      "9007199254740993", "900719925474099.3", "123456789012345678", "1234567890123456789012",
      "0.0000000000000000000001", "0.00000000000000000000001", "1e5", "1E-3", "+5", " 5", "5 ",
      "1.2.3", "-", ".", "", "0x10", "inf", "nan", "12a", "3.14159265358979323846",
    ]
    for _ in 0..<50_000 {
      let whole = String(rng.next() % 10_000_000)
      let decimals = Int(rng.next() % 12)
      var text = whole
      if decimals > 0 {
        text += "." + String((0..<decimals).map { _ in Character(String(rng.next() % 10)) })
      }
      if rng.next() % 4 == 0 { text = "-" + text }
      cases.append(text)
      // Long mantissas near and past 2^53, with and without a point.
      let long = String(rng.next() % 100_000_000_000_000_000)
      let cut = Int(rng.next() % UInt64(long.count))
      cases.append(long)
      cases.append(String(long.prefix(cut)) + "." + String(long.dropFirst(cut)))
    }
    for text in cases where !text.isEmpty {
      let expected = viaStrtod(text)
      let got = try viaDocument(text)
      #expect(got?.bitPattern == expected?.bitPattern, "\(text)")
      if got?.bitPattern != expected?.bitPattern { return }
    }
  }
}

import Foundation
import WickCore

/// Writes candles as CSV with the importer's header and epoch-millisecond times.
///
///     let n = try CSVExporter.export(store.cursor(series: key), to: FileHandle.standardOutput)
///
/// Prices use Swift's shortest round-trip formatting, so exporting and re-importing gives
/// bit-identical doubles.
public enum CSVExporter {
  /// The header line (without newline).
  public static let header = "time,open,high,low,close,volume"

  /// Streams every candle of `cursor` to `handle`; returns how many were written.
  public static func export(_ cursor: CandleCursor, to handle: FileHandle) throws -> Int {
    var out = Data()
    out.reserveCapacity(1 << 20)
    out.append(contentsOf: Array((header + "\n").utf8))
    var count = 0
    while let c = try cursor.next() {
      out.append(contentsOf: Array(line(c).utf8))
      count += 1
      if out.count >= 1 << 20 {
        try handle.write(contentsOf: out)
        out.removeAll(keepingCapacity: true)
      }
    }
    try handle.write(contentsOf: out)
    return count
  }

  /// One CSV row, newline included.
  public static func line(_ c: Candle) -> String {
    "\(c.time),\(c.open),\(c.high),\(c.low),\(c.close),\(c.volume)\n"
  }
}

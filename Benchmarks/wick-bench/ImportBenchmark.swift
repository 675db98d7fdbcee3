import Foundation
import WickCore
import WickData

/// `wick data import` of a generated multi-million-row CSV, as a user runs it: wall time and the
/// child's own peak RSS (its `VmHWM`, so neither earlier children nor this process count). The import streams the
/// file, so its memory must stay flat however long the file is.
enum ImportBenchmark {
  static func run(wick: URL, rows: Int, work: URL) throws {
    let csv = work.appendingPathComponent("import.csv")
    FileManager.default.createFile(atPath: csv.path, contents: nil)
    let handle = try FileHandle(forWritingTo: csv)
    var synth = CandleSynthesizer(seed: 11, timeframe: Timeframe.oneMinute)
    var out = Data((CSVExporter.header + "\n").utf8)
    for _ in 0..<rows {
      out.append(contentsOf: CSVExporter.line(synth.next()).utf8)
      if out.count >= 1 << 20 {
        try handle.write(contentsOf: out)
        out.removeAll(keepingCapacity: true)
      }
    }
    try handle.write(contentsOf: out)
    try handle.close()
    defer { try? FileManager.default.removeItem(at: csv) }
    let bytes = (try? FileManager.default.attributesOfItem(atPath: csv.path)[.size] as? Int) ?? 0
    let db = work.appendingPathComponent("import.sqlite").path
    let (status, seconds, peakKB) = try spawnMeasured(
      wick.path,
      ["data", "import", csv.path, "--symbol", "BTCUSDT", "--timeframe", "1m", "--db", db])
    line(
      "wick data import, \(rows / 1_000_000)M-row CSV (process)", rate(rows, seconds),
      String(format: "%.0f MB file, %.2f s, exit %d", Double(bytes) / 1e6, seconds, status))
    line(
      "wick data import, peak memory", String(format: "%.1f MB", Double(peakKB) / 1024),
      "target < 100 MB whatever the file's size")
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
  }
}

/// Runs `path` with `arguments` (output discarded) and returns its exit status, wall seconds and
/// peak RSS in KB, measured for that child alone.
func spawnMeasured(_ path: String, _ arguments: [String]) throws -> (Int32, Double, Int) {
  var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
  let argv = ([path] + arguments).map { strdup($0) } + [nil]
  defer { for p in argv { free(p) } }
  var pid: pid_t = 0
  let start = DispatchTime.now().uptimeNanoseconds
  let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
  guard spawned == 0 else { throw BenchFailure(message: "cannot start \(path): errno \(spawned)") }
  // The child's own high-water mark, read from /proc while it runs: `ru_maxrss` from `wait4` is
  // not it, because posix_spawn shares this process's memory until exec and Linux carries that
  // high-water mark into the child's (it reported the bench's own 165 MB for a 36 MB import).
  var status: Int32 = 0
  var peakKB = 0
  while true {
    peakKB = max(peakKB, highWaterKB(pid))
    let done = waitpid(pid, &status, WNOHANG)
    if done == pid || (done < 0 && errno != EINTR) { break }
    usleep(5_000)
  }
  let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  return ((status >> 8) & 0xFF, seconds, peakKB)
}

/// `VmHWM` of a running process in KB (0 once it has exited).
private func highWaterKB(_ pid: pid_t) -> Int {
  guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
    let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
  else { return 0 }
  return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    ?? 0
}

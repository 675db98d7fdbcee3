import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

/// The ledger's SQLite file under faults while `wick run --paper` works: the disk fills, another
/// process holds the database locked, the file is read-only. The run stops with a clear error
/// (no crash), nothing is corrupt (`PRAGMA integrity_check`), and the same command resumes once
/// the fault is gone, replaying identically. The lock and full-disk cases take half a minute
/// each (the 10 s busy timeout, a disk filled candle by candle): they run in `make chaos`.
@Suite(.serialized) struct LedgerFaultTests {
  typealias World = RunCommandTests.World

  /// Runs `executable` (`wick` by default) through `sh -c` with `prelude` first (a ulimit, a
  /// trap), after serving the candles as `World.launch` does; returns the process and its
  /// combined output file.
  func launchWrapped(_ w: World, prelude: String, executable: String? = nil, _ args: [String])
    throws -> (Process, URL)
  {
    w.rest.candles = Array(w.candles[0..<w.pushed])
    w.rest.serverTime = w.candles[w.pushed].time + 1_000
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "\(prelude); exec \"$0\" \"$@\"", executable ?? w.wick.path] + args
    let out = w.dir.appendingPathComponent("wrapped-\(w.launches).log")
    w.launches += 1
    FileManager.default.createFile(atPath: out.path, contents: nil)
    p.standardOutput = try FileHandle(forWritingTo: out)
    p.standardError = p.standardOutput
    try p.runWithDeadline()
    w.processes.append(p)
    return (p, out)
  }

  func integrity(_ w: World) throws -> String {
    try ledgerReader(w.db).read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
      ?? ""
  }

  /// Resumes with the same command, handles two candles, stops; replay is identical.
  func expectResumes(_ w: World, _ why: String) throws {
    let (p, _, first) = try w.launch(w.arguments(["--stop-after", "2"]))
    #expect(first == "run: 1 (resumed)", "\(why): \(w.errors)")
    for _ in 0..<2 { #expect(w.pushNext(), "\(why): \(w.errors)") }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(why): \(w.errors)")
    #expect(try integrity(w) == "ok")
    try w.expectNothingDoubled(runs: [1])
    let (status, text) = try w.runWick(["replay", "1", "--db", w.db])
    #expect(status == 0 && text.hasPrefix("identical"), "\(why): \(text)")
  }

  /// Starts a run, handles three candles and stops it cleanly: the ledger exists.
  func startedRun() throws -> World {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (p, _, first) = try w.launch(w.arguments(["--stop-after", "3"]))
    #expect(first == "run: 1", "\(w.errors)")
    for _ in 0..<3 { #expect(w.pushNext(), "\(w.errors)") }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
    return w
  }

  @Test(.enabled(if: ChaosTests.enabled, "make chaos (WICK_CHAOS=1): half a minute"))
  func aLockHeldByAnotherProcessStopsTheRunCleanlyAndItResumes() throws {
    let w = try startedRun()
    let (p, _, first) = try w.launch(w.arguments())
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    #expect(w.pushNext(), "\(w.errors)")
    // Another connection takes the write lock and keeps it past the runner's busy timeout.
    let holder = try DatabaseQueue(path: w.db)
    let release = DispatchSemaphore(value: 0)
    let locked = DispatchSemaphore(value: 0)
    let thread = Thread {
      try? holder.writeWithoutTransaction { db in
        try db.execute(sql: "BEGIN EXCLUSIVE")
        locked.signal()
        release.wait()
        try db.execute(sql: "ROLLBACK")
      }
    }
    thread.start()
    locked.wait()
    _ = w.pushNext()  // its commit waits on the lock
    let stopped = w.wait(30) { !p.isRunning }
    release.signal()
    #expect(stopped, "the runner still waits on a lock held for 30 s: \(w.errors)")
    if p.isRunning {
      kill(p.processIdentifier, SIGKILL)
    }
    p.waitUntilExit()
    #expect(p.terminationReason == .exit, "ended by a signal: \(w.errors)")
    #expect(p.terminationStatus != 0)
    #expect(
      w.errors.contains("error: the database failed: database is locked")
        && w.errors.contains("the same command resumes"),
      "\(w.errors)")
    #expect(try integrity(w) == "ok")
    try expectResumes(w, "after the lock")
  }

  @Test(.enabled(if: ChaosTests.enabled, "make chaos (WICK_CHAOS=1): half a minute"))
  func aFullDiskStopsTheRunCleanlyAndItResumes() throws {
    let w = try startedRun()
    // The file size limit stands in for a full disk: SQLite's writes beyond it fail with EFBIG
    // (SQLITE_FULL), the signal that would kill the process is ignored as a daemon would.
    // The limit counts the WAL too: a stop that left pages in it (a recorder thread's last write)
    // has them moved into the file at the next open, which is not the disk filling mid-run (seen
    // once under load: "cannot open candle cache ...: disk I/O error").
    func size(_ path: String) -> Int {
      (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
    let files = [w.db, w.db + "-wal"].map { "\($0): \(size($0)) bytes" }
    let size = size(w.db) + size(w.db + "-wal")
    let (p, out) = try launchWrapped(
      w, prelude: "trap '' XFSZ; ulimit -f \(size / 512 + 8)", w.arguments())
    _ = w.wait(10) { w.ws.klineClients > 0 || !p.isRunning }
    var handled = 0
    while p.isRunning, handled < 60 {
      guard w.pushNext() else { break }
      handled += 1
    }
    #expect(w.wait(30) { !p.isRunning }, "still running after the disk filled")
    if p.isRunning { kill(p.processIdentifier, SIGKILL) }
    p.waitUntilExit()
    let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    #expect(p.terminationReason == .exit, "ended by a signal: \(text)")
    #expect(p.terminationStatus != 0, "\(text)")
    #expect(
      text.contains("ledger write failed on '\(w.db)'") && text.contains("full")
        && text.contains("the same command resumes"), "\(text) (at start: \(files))")
    #expect(try integrity(w) == "ok")
    try expectResumes(w, "after the disk freed")
  }

  @Test func aReadOnlyLedgerIsRefusedWithAClearErrorAndItResumes() throws {
    let w = try startedRun()
    let before = try Data(contentsOf: URL(fileURLWithPath: w.db))
    // Read-only for this process even as root: its own mount namespace with the folder
    // remounted read-only; otherwise plain permissions.
    let root = getuid() == 0
    let prelude =
      root
      ? "mount --bind \"\(w.dir.path)\" \"\(w.dir.path)\" && mount -o remount,bind,ro \"\(w.dir.path)\""
      : "chmod a-w \"\(w.dir.path)\" \"\(w.db)\""
    let (p, out) =
      root
      ? try launchWrapped(
        w, prelude: "true", executable: "unshare",
        ["-m", "sh", "-c", prelude + "; exec \"$0\" \"$@\"", w.wick.path] + w.arguments())
      : try launchWrapped(w, prelude: prelude, w.arguments())
    #expect(w.wait(20) { !p.isRunning })
    if p.isRunning { kill(p.processIdentifier, SIGKILL) }
    p.waitUntilExit()
    let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    #expect(p.terminationReason == .exit && p.terminationStatus != 0, "\(text)")
    // Refused when the cache is opened, or (when the open itself succeeds read-only) at the run's
    // first ledger write: either way the file and the cause are named.
    #expect(
      (text.contains("cannot open candle cache '\(w.db)'")
        || text.contains("ledger write failed on '\(w.db)'")) && text.contains("read-only"),
      "\(text)")
    if !root {
      chmod(w.dir.path, 0o755)
      chmod(w.db, 0o644)
    }
    #expect(try Data(contentsOf: URL(fileURLWithPath: w.db)) == before, "the ledger changed")
    #expect(try integrity(w) == "ok")
    try expectResumes(w, "after the file is writable again")
  }
}

import Foundation

/// Polls files for changes (inode, size and modification time). Polling is portable, needs no
/// inotify handle, and at a few checks per second costs nothing next to a backtest.
public final class FileWatcher {
  private var stamps: [String: Stamp] = [:]
  /// What a save changes: the inode (editors and atomic writes replace the file), the size and
  /// the modification time to the nanosecond (Foundation's dates can miss two saves in one tick).
  private struct Stamp: Equatable {
    var inode: UInt64 = 0
    var size: Int64 = -1
    var seconds: Int = 0
    var nanoseconds: Int = 0
  }

  public init(paths: [String]) { watch(paths) }

  /// Replaces the watched set (e.g. after a reload required new plugins) and records their state.
  public func watch(_ paths: [String]) {
    stamps = Dictionary(uniqueKeysWithValues: Set(paths).map { ($0, Self.stamp($0)) })
  }

  /// The watched files that changed since the last call (or since `watch`).
  public func changes() -> [String] {
    var changed: [String] = []
    for (path, old) in stamps {
      let now = Self.stamp(path)
      if now != old {
        changed.append(path)
        stamps[path] = now
      }
    }
    return changed.sorted()
  }

  /// Blocks until a watched file changes; waits `settle` more so an editor's multi-step save
  /// is seen as one change.
  public func waitForChange(pollInterval: TimeInterval = 0.25, settle: TimeInterval = 0.1)
    -> [String]
  {
    while true {
      let c = changes()
      if !c.isEmpty {
        Thread.sleep(forTimeInterval: settle)
        return (c + changes()).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
      }
      Thread.sleep(forTimeInterval: pollInterval)
    }
  }

  /// A missing file has the zero stamp, so its creation and its removal are changes.
  private static func stamp(_ path: String) -> Stamp {
    var st = stat()
    guard stat(path, &st) == 0 else { return Stamp() }
    return Stamp(
      inode: UInt64(st.st_ino), size: Int64(st.st_size), seconds: Int(st.st_mtim.tv_sec),
      nanoseconds: Int(st.st_mtim.tv_nsec))
  }
}

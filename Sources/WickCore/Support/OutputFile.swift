import Foundation

/// Writes through a temporary file and a rename: an output is never left half-written.
public enum OutputFile {
  /// Writes `text` to `path` (creating its folder), or leaves the old file as it was.
  /// `durable` flushes the file to disk before the rename, for state a restart reads back.
  public static func write(_ text: String, to path: String, durable: Bool = true) throws {
    var text = text
    try text.withUTF8 { try write(parts: [$0], to: path, durable: durable) }
  }

  /// Writes the concatenation of `parts` (borrowed: a report of tens of megabytes is not copied
  /// into one buffer first). A report is not `durable`: it can be written again, and flushing
  /// megabytes to disk costs more than producing them.
  public static func write(
    parts: [UnsafeBufferPointer<UInt8>], to path: String, durable: Bool
  ) throws {
    let url = URL(fileURLWithPath: path)
    try? FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    let tmp = url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent).tmp"
    ).path
    func fail(_ what: String, fd: Int32 = -1) -> WickError {
      let reason = "cannot write: \(what): \(String(cString: strerror(errno)))"
      if fd >= 0 { close(fd) }
      unlink(tmp)
      return WickError.invalidFile(path: path, line: nil, reason: reason)
    }
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
    guard fd >= 0 else { throw fail("open \(tmp)") }
    for part in parts {
      guard var at = part.baseAddress else { continue }
      var left = part.count
      while left > 0 {
        let n = Foundation.write(fd, at, left)
        if n < 0 {
          if errno == EINTR { continue }
          throw fail("write", fd: fd)
        }
        at += n
        left -= n
      }
    }
    if durable, fsync(fd) != 0 { throw fail("fsync", fd: fd) }
    guard close(fd) == 0 else { throw fail("close") }
    // ext4 flushes a file renamed over another one to disk inside rename() (auto_da_alloc):
    // 10 ms for a 12 MB report. A report that need not be durable takes the old one's name
    // after it is gone instead; a reader meanwhile finds no file, never a partial one.
    if !durable { unlink(path) }
    guard rename(tmp, path) == 0 else { throw fail("rename to \(path)") }
  }

  /// The file as UTF-8 text, nil when it does not exist or cannot be read.
  public static func read(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).flatMap { String(data: $0, encoding: .utf8) }
  }
}

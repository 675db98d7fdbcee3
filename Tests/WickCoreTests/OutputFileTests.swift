import Foundation
import Testing
import WickCore

/// Reports and state files go through a temporary file and a rename: never half-written.
@Suite struct OutputFileTests {
  func folder() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-output-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  @Test(arguments: [true, false]) func partsAreWrittenInOrderOverTheOldFile(durable: Bool) throws {
    let dir = folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("sub/report.json").path
    try OutputFile.write("old text that is longer than the new one", to: path)
    let parts: [[UInt8]] = [
      Array("{\"a\": ".utf8), [], Array(repeating: UInt8(ascii: "7"), count: 1 << 20),
      Array("}\n".utf8),
    ]
    try parts[0].withUnsafeBufferPointer { a in
      try parts[1].withUnsafeBufferPointer { b in
        try parts[2].withUnsafeBufferPointer { c in
          try parts[3].withUnsafeBufferPointer { d in
            try OutputFile.write(parts: [a, b, c, d], to: path, durable: durable)
          }
        }
      }
    }
    #expect(FileManager.default.contents(atPath: path).map(Array.init) == parts.flatMap { $0 })
    // No temporary file is left beside it.
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("sub").path)
        == ["report.json"])
  }

  @Test func aFailedWriteNamesTheFileAndKeepsTheOldOne() throws {
    let dir = folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    // The target's folder is a file: nothing can be created in it.
    let blocker = dir.appendingPathComponent("blocker").path
    try OutputFile.write("keep", to: blocker)
    do {
      try OutputFile.write("new", to: blocker + "/report.json", durable: false)
      Issue.record("writing under a file succeeded")
    } catch {
      #expect("\(error)".contains("blocker/report.json"), "\(error)")
      #expect("\(error)".contains("cannot write"), "\(error)")
    }
    #expect(OutputFile.read(blocker) == "keep")
  }
}

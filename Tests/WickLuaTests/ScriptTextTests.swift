import Foundation
import Testing
import WickCore

@testable import WickLua

/// Scripts that are not UTF-8 (Latin-1 bytes, as in Lua's own test files): loaded with the same
/// bytes at run time where Lua takes them, refused with file, line, column and byte where not.
@Suite struct ScriptTextTests {
  /// `text` with `%E9` replaced by the single byte 0xE9 (é in Latin-1).
  func latin1(_ text: String) -> Data {
    Data(
      text.utf8.split(separator: UInt8(ascii: "%"), omittingEmptySubsequences: false).enumerated()
        .flatMap { i, part -> [UInt8] in
          guard i > 0, part.starts(with: Array("E9".utf8)) else { return Array(part) }
          return [0xE9] + Array(part.dropFirst(2))
        })
  }

  func load(_ data: Data, plugin: Data? = nil) throws -> (LuaStrategy, RecordingHost, String) {
    let dir = ScriptDir()
    let path = dir.root.appendingPathComponent("latin1.lua").path
    try data.write(to: URL(fileURLWithPath: path))
    if let plugin {
      try plugin.write(to: dir.root.appendingPathComponent("plugins/accents.lua"))
    }
    let s = try LuaStrategy(
      path: path, pluginRoots: [dir.root.appendingPathComponent("plugins").path])
    let host = RecordingHost()
    try s.start(host: host)
    return (s, host, path)
  }

  @Test func aLatin1StringLiteralKeepsItsBytes() throws {
    let source = latin1(
      """
      -- caf%E9: a comment with a Latin-1 byte
      local s = "caf%E9"   -- and one after code
      local t = 'na%E9ve\\n%E9'
      return { symbols = { "BTCUSDT" },
        on_candle = function(ctx, c)
          ctx:log(#s, s:byte(4), #t, t:byte(3), t:byte(7), s == "caf\\233")
          error("line 6 still")
        end }
      """)
    #expect(String(data: source, encoding: .utf8) == nil, "the fixture must not be UTF-8")
    let (s, host, path) = try load(source)
    do {
      try s.onCandle(symbol: 0, candle: candle(0), host: host)
      Issue.record("the probe error did not fire")
    } catch {
      // Lines keep their numbers: the error names line 7 of the file as written.
      #expect("\(error)".contains("latin1.lua:7: line 6 still"), "\(error)")
    }
    #expect(s.logs.last?.hasSuffix("4 233 7 233 233 true") == true, "\(s.logs)")
    _ = path
  }

  @Test func aPluginWithLatin1BytesLoads() throws {
    let plugin = latin1("return { word = \"d%E9j%E0\" }".replacingOccurrences(of: "%E0", with: "a"))
    let (s, host, _) = try load(
      Data(
        """
        local p = require("accents")
        return { symbols = { "BTCUSDT" }, on_candle = function(ctx, c) ctx:log(#p.word, p.word:byte(2)) end }
        """.utf8), plugin: plugin)
    try s.onCandle(symbol: 0, candle: candle(0), host: host)
    #expect(s.logs.last?.hasSuffix("4 233") == true, "\(s.logs)")
  }

  @Test func aByteInALongStringIsRefusedWithLineColumnAndByte() throws {
    let source = latin1("local a = 1\nlocal s = [[caf%E9]]\nreturn { on_candle = function() end }")
    do {
      _ = try load(source)
      Issue.record("accepted")
    } catch {
      let m = "\(error)"
      #expect(m.contains("latin1.lua:2: byte 0xE9 at column 16 is not UTF-8"), "\(m)")
      #expect(m.contains("long string"), "\(m)")
      #expect(m.contains("\\233"), "\(m)")
    }
  }

  @Test func aByteOutsideStringsIsRefusedWithItsLine() throws {
    do {
      _ = try load(latin1("local x%E9 = 1\nreturn { on_candle = function() end }"))
      Issue.record("accepted")
    } catch {
      #expect(
        "\(error)".contains(
          "latin1.lua:1: byte 0xE9 at column 8 is not UTF-8 and sits outside any string or comment"),
        "\(error)")
    }
  }

  @Test func utf8ScriptsAreReadUnchanged() throws {
    let text = "local s = \"café — ≤ 𝛼\" -- ünïcode\n"
    #expect(try ScriptText.decode(Data(text.utf8), path: "x.lua") == text)
    // A long comment and a level-2 long string around valid text; the invalid byte in the
    // comment becomes '?', the one in the quoted string an escape.
    let mixed = latin1("--[==[ a ]] %E9 ]==] local s = [=[ ]] ]=] .. \"%E9\"")
    #expect(
      try ScriptText.decode(mixed, path: "x.lua")
        == "--[==[ a ]] ? ]==] local s = [=[ ]] ]=] .. \"\\233\"")
  }

  @Test func aParamsFileThatIsNotUTF8NamesLineColumnAndByte() throws {
    let dir = ScriptDir()
    defer { dir.cleanup() }
    for (name, text) in [
      ("p.json", "{\n  \"tag\": \"caf%E9\"\n}"), ("p.toml", "period = 10\ntag = \"caf%E9\"\n"),
    ] {
      let path = dir.root.appendingPathComponent(name).path
      try latin1(text).write(to: URL(fileURLWithPath: path))
      do {
        _ = try ParamsFile.load(path: path)
        Issue.record("\(name) accepted")
      } catch {
        let format = name.hasSuffix("json") ? "JSON" : "TOML"
        let column = name.hasSuffix("json") ? 14 : 11
        #expect(
          "\(error)"
            == "\(path):2: byte 0xE9 at column \(column) is not UTF-8, which \(format) requires; save the file as UTF-8"
        )
      }
    }
  }
}

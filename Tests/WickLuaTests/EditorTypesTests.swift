import Foundation
import Testing
import WickCore

@testable import WickLua

/// `types/wick.lua` (EditorTypes.luaTypes) against the sandbox itself: everything a script can
/// reach is annotated and everything annotated exists, so the editor's completion cannot drift
/// from the host. A failure names the section of EditorTypes.swift to extend.
@Suite struct EditorTypesTests {
  static let file = "Sources/WickLua/Editor/EditorTypes.swift"

  /// The annotations, parsed the way the conventions in EditorTypes.swift describe.
  struct Annotations {
    var fields: [String: [String]] = [:]  // class → ---@field names
    var methods: [String: [String]] = [:]  // class (or local alias's class) → method names
    var parents: [String: String] = [:]
    var constructors: [String: (returns: String?, example: String?)] = [:]
    var intentParams: [String: String] = [:]  // ctx method → intent class

    init(_ text: String) {
      var currentClass: String? = nil
      var aliases: [String: String] = [:]  // `local Context = {}` after `---@class wick.Context`
      var pendingExample: String? = nil
      var pendingReturn: String? = nil
      var pendingIntent: String? = nil
      for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let line = raw.trimmingCharacters(in: .whitespaces)
        let words = line.split(separator: " ").map(String.init)
        if line.hasPrefix("---@class ") {
          let decl = line.dropFirst("---@class ".count).split(separator: ":").map {
            $0.trimmingCharacters(in: .whitespaces)
          }
          currentClass = decl[0]
          if decl.count > 1 { parents[decl[0]] = decl[1] }
          fields[decl[0], default: []] += []
        } else if line.hasPrefix("---@field "), let c = currentClass, words.count > 1 {
          let name = words[1].hasSuffix("?") ? String(words[1].dropLast()) : words[1]
          if !name.hasPrefix("[") { fields[c, default: []].append(name) }
        } else if line.hasPrefix("local "), words.count >= 4, words[2] == "=", let c = currentClass
        {
          aliases[words[1]] = c
        } else if line.hasPrefix("--- Example: `"), let end = line.lastIndex(of: "`") {
          let start = line.index(line.firstIndex(of: "`")!, offsetBy: 1)
          pendingExample = String(line[start..<end])
        } else if line.hasPrefix("---@return "), words.count > 1 {
          pendingReturn = words[1]
        } else if line.hasPrefix("---@param "), words.count > 2,
          let intent = words[2].split(separator: "|").first(where: { $0.hasSuffix("Intent") })
        {
          pendingIntent = String(intent)
        } else if line.hasPrefix("function ") {
          let signature = line.dropFirst("function ".count).prefix { $0 != "(" }
          if signature.hasPrefix("wick.") {
            constructors[String(signature.dropFirst(5))] = (pendingReturn, pendingExample)
          } else if let colon = signature.firstIndex(of: ":") {
            let owner = String(signature[..<colon])
            let name = String(signature[signature.index(after: colon)...])
            let c = aliases[owner] ?? owner
            methods[c, default: []].append(name)
            if c == "wick.Context", let intent = pendingIntent { intentParams[name] = intent }
          }
          pendingExample = nil
          pendingReturn = nil
          pendingIntent = nil
        } else if line.isEmpty {
          currentClass = nil
        }
      }
    }

    /// A class's methods, its parents' included.
    func allMethods(_ c: String) -> Set<String> {
      var out = Set(methods[c] ?? [])
      var p = parents[c]
      while let parent = p {
        out.formUnion(methods[parent] ?? [])
        p = parents[parent]
      }
      return out
    }
  }

  /// What the sandbox exposes, as the script below reports it through ctx:log.
  struct Exposed {
    var ctx: Set<String> = []
    var wick: Set<String> = []
    var objects: [String: Set<String>] = [:]  // constructor → methods of what it returned
    var failedExamples: [String: String] = [:]
    var candle: Set<String> = []
    var position: Set<String> = []
    var intents: [String: String] = [:]  // ctx method → its unknown-field error
    var typesCompile = ""
  }

  static func probe(_ a: Annotations) throws -> Exposed {
    // Constructors only: a plain function (wick.session returns a string) has no object to probe.
    let examples = a.constructors.filter { $0.value.returns?.hasPrefix("wick.") ?? true }
      .compactMap { name, c in
        c.example.map { "{ \(luaString(name)), \(luaString($0)) }" }
      }.sorted().joined(separator: ",\n      ")
    let intents = a.intentParams.keys.sorted().map(luaString).joined(separator: ", ")
    let source = """
      return {
        symbols = { "BTCUSDT" }, timeframe = "1m", warmup = 5,
        init = function(ctx)
          local log = function(...) ctx:log(...) end
          local ok, err = load(\(luaLongString(EditorTypes.luaTypes)), "=types/wick.lua")
          log("API|compile|" .. (ok and "ok" or tostring(err)))
          for k in pairs(ctx) do log("API|ctx|" .. tostring(k)) end
          for k in pairs(wick) do log("API|wick|" .. tostring(k)) end
          for _, e in ipairs({
            \(examples)
          }) do
            local f = load("return " .. e[2])
            local good, obj = pcall(f)
            if good and type(obj) == "table" then
              for k in pairs(obj) do log("API|object|" .. e[1] .. "|" .. tostring(k)) end
            else
              log("API|example-failed|" .. e[1] .. "|" .. tostring(obj))
            end
          end
        end,
        on_candle = function(ctx, c)
          for k in pairs(c) do ctx:log("API|candle|" .. tostring(k)) end
          local p = ctx:position(c.symbol)
          if p then for k in pairs(p) do ctx:log("API|position|" .. tostring(k)) end end
          for _, m in ipairs({ \(intents) }) do
            local _, err = pcall(ctx[m], ctx, { __probe = true })
            ctx:log("API|intent|" .. m .. "|" .. tostring(err))
          end
        end,
      }
      """
    let dir = ScriptDir()
    defer { dir.cleanup() }
    // The probe logs one line per exposed name from one callback: past the sandbox's default
    // output cap (100 lines per callback) now that the candle has its derivatives fields.
    var limits = LuaLimits()
    limits.logLinesPerCallback = 100_000
    let s = try LuaStrategy(path: dir.write("probe.lua", source), limits: limits)
    let host = RecordingHost()
    // Every optional position field set, so the probe sees them all.
    host.positions[0] = Position(
      symbol: 0, side: .long, qty: 1, entry: 100, stop: 90, take: 120, trail: 5, openedAt: 0,
      initialRisk: 10, entryFees: 0, entrySpread: 0, entrySlippage: 0)
    // Every derivatives series stored, so the candle carries all its optional fields.
    let sample = [MetricSample(time: candle(0).time + 60_000, value: 1)]
    host.candleExtras = CandleExtras(symbols: [
      CandleExtras.Symbol(
        openInterest: .init(sample, interval: 300_000),
        longShortRatio: .init(sample, interval: 300_000),
        liquidations: .init(buckets: [], coverage: [candle(0).time..<candle(0).time + 600_000]))
    ])
    try s.start(host: host)
    try s.onCandle(symbol: 0, candle: candle(0), host: host)
    var e = Exposed()
    for line in s.logs {
      guard let r = line.range(of: "API|") else { continue }
      let parts = line[r.upperBound...].split(separator: "|", maxSplits: 2).map(String.init)
      switch parts[0] {
      case "compile": e.typesCompile = parts[1]
      case "ctx": e.ctx.insert(parts[1])
      case "wick": e.wick.insert(parts[1])
      case "object": e.objects[parts[1], default: []].insert(parts[2])
      case "example-failed": e.failedExamples[parts[1]] = parts[2]
      case "candle": e.candle.insert(parts[1])
      case "position": e.position.insert(parts[1])
      case "intent": e.intents[parts[1]] = parts[2]
      default: break
      }
    }
    return e
  }

  static func luaString(_ s: String) -> String {
    "\""
      + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
      + "\""
  }
  static func luaLongString(_ s: String) -> String { "[=====[\n" + s + "]=====]" }

  /// The names in `exposed` missing from `annotated`, and the reverse, as messages.
  static func compare(
    _ exposed: Set<String>, _ annotated: [String], what: (String) -> String, add: (String) -> String
  ) -> [String] {
    let a = Set(annotated)
    return exposed.subtracting(a).sorted().map {
      "\(what($0)) is exposed by the sandbox but not annotated: \(add($0)) in \(file)"
    }
      + a.subtracting(exposed).sorted().map {
        "\(what($0)) is annotated in \(file) but the sandbox does not expose it: remove the entry or expose it"
      }
  }

  @Test func theAnnotationsMatchWhatTheSandboxExposes() throws {
    let a = Annotations(EditorTypes.luaTypes)
    let e = try Self.probe(a)
    var problems: [String] = []
    #expect(e.typesCompile == "ok", "types/wick.lua does not compile as Lua: \(e.typesCompile)")

    problems += Self.compare(
      e.ctx, (a.fields["wick.Context"] ?? []) + (a.methods["wick.Context"] ?? []),
      what: { "ctx.\($0)" },
      add: {
        "add `function Context:\($0)(...) end` with its ---@param/---@return lines (or a `---@field \($0)` under ---@class wick.Context) to the ctx section"
      })
    problems += Self.compare(
      e.wick, Array(a.constructors.keys), what: { "wick.\($0)" },
      add: {
        "add `function wick.\($0)(...) end` with ---@param, ---@return wick.<Class> and a `--- Example: `wick.\($0)(...)`` line to the indicators section"
      })
    for (name, c) in a.constructors.sorted(by: { $0.key < $1.key }) where e.wick.contains(name) {
      if let r = c.returns, !r.hasPrefix("wick.") { continue }  // a plain function: no object
      guard let returns = c.returns, c.example != nil else {
        problems.append(
          "wick.\(name) needs `---@return wick.<Class>` and a `--- Example: `wick.\(name)(...)`` line in \(Self.file)"
        )
        continue
      }
      if let why = e.failedExamples[name] {
        problems.append("the example of wick.\(name) in \(Self.file) fails in the sandbox: \(why)")
        continue
      }
      problems += Self.compare(
        e.objects[name] ?? [], Array(a.allMethods(returns)), what: { "wick.\(name)(...):\($0)" },
        add: {
          "add `function \(returns.replacingOccurrences(of: "wick.", with: "")):\($0)(...) end` (a `local` alias after ---@class \(returns)) to the indicators section"
        })
    }
    problems += Self.compare(
      e.candle, a.fields["wick.Candle"] ?? [], what: { "candle field c.\($0)" },
      add: { "add `---@field \($0) <type>` under ---@class wick.Candle" })
    problems += Self.compare(
      e.position, a.fields["wick.Position"] ?? [], what: { "position field \($0)" },
      add: { "add `---@field \($0) <type>` under ---@class wick.Position" })
    for (method, intent) in a.intentParams.sorted(by: { $0.key < $1.key }) {
      let message = e.intents[method] ?? ""
      guard let r = message.range(of: "(expected: "), let close = message.lastIndex(of: ")") else {
        problems.append(
          "ctx:\(method){ __probe = true } was not refused as an unknown field: \(message)")
        continue
      }
      let accepted = Set(
        message[r.upperBound..<close].split(separator: ",").map {
          $0.trimmingCharacters(in: .whitespaces)
        })
      problems += Self.compare(
        accepted, a.fields[intent] ?? [], what: { "ctx:\(method){ \($0) = ... }" },
        add: { "add `---@field \($0) <type>` under ---@class \(intent)" })
    }
    // Methods whose argument is a table must say which intent class it is.
    #expect(Set(a.intentParams.keys).isSuperset(of: ["enter", "exit", "enter_pair", "exit_pair"]))
    #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
  }

  /// The check itself can fail: an API entry the annotations lack is reported with where to add it.
  @Test func aMissingAnnotationIsNamedWithWhereToAddIt() throws {
    let trimmed = EditorTypes.luaTypes
      .replacingOccurrences(of: "function Context:equity() end", with: "")
      .replacingOccurrences(of: "---@field volume number", with: "")
      .replacingOccurrences(of: "---@field tag? string shown in the trade list", with: "")
    let a = Annotations(trimmed)
    let e = try Self.probe(a)
    let ctx = Self.compare(
      e.ctx, (a.fields["wick.Context"] ?? []) + (a.methods["wick.Context"] ?? []),
      what: { "ctx.\($0)" }, add: { "add `function Context:\($0)(...) end`" })
    #expect(ctx.count == 1)
    #expect(ctx.first?.contains("ctx.equity is exposed by the sandbox but not annotated") == true)
    #expect(ctx.first?.contains(Self.file) == true)
    #expect(e.candle.contains("volume") && !(a.fields["wick.Candle"] ?? []).contains("volume"))
    #expect(e.intents["enter"]?.contains("tag") == true)
    #expect(!(a.fields["wick.EnterIntent"] ?? []).contains("tag"))
  }
}

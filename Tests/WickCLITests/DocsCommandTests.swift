import Foundation
import Testing

/// Every `wick …` command the README and docs/ show parses with the current command tree, so a
/// renamed flag or subcommand cannot leave the docs behind.
@Suite struct DocsCommandTests {
  struct Command {
    var file: String
    var line: Int
    var text: String
    var arguments: [String]
    /// An inline span names a command in prose (`wick replay`, `wick backtest --json`): its
    /// subcommands and flags must exist, but it need not carry every required value.
    var inline: Bool
  }

  /// The markdown files that document commands: README.md and every page under docs/.
  static func markdownFiles() throws -> [String] {
    let pages = try FileManager.default.contentsOfDirectory(atPath: "docs")
      .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    return ["README.md"] + pages
  }

  /// The `wick` commands of one markdown text: each line of a shell code block (fenced with no
  /// language or sh/bash/shell/console; continuation lines joined), and each inline code span
  /// that is a command (`wick stop --flatten`), with the line it starts on.
  static func commands(in markdown: String, file: String) -> [Command] {
    let lines = markdown.components(separatedBy: "\n")
    var found: [Command] = []
    var prose = lines  // the same lines with code blocks blanked, for the inline spans
    var fence: (marker: String, shell: Bool)?
    var pending: (line: Int, text: String)?
    func take(_ text: String, line: Int, inline: Bool = false) {
      for words in CommandLineText.commands(in: text) {
        if let arguments = CommandLineText.wickArguments(words) {
          found.append(
            Command(file: file, line: line, text: text, arguments: arguments, inline: inline))
        }
      }
    }
    for (index, line) in lines.enumerated() {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if let open = fence {
        prose[index] = ""
        if trimmed.hasPrefix(open.marker) {
          fence = nil
          continue
        }
        guard open.shell else { continue }
        let joined = (pending?.text ?? "") + line
        if joined.hasSuffix("\\") {
          pending = (pending?.line ?? index + 1, String(joined.dropLast()) + " ")
          continue
        }
        take(joined, line: pending?.line ?? index + 1)
        pending = nil
      } else if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
        let marker = String(trimmed.prefix(3))
        let language = trimmed.dropFirst(3).trimmingCharacters(in: .whitespaces).lowercased()
        fence = (marker, ["", "sh", "bash", "shell", "console"].contains(language))
        prose[index] = ""
      }
    }
    // Inline spans may wrap across lines; newlines inside a span are spaces.
    let text = prose.joined(separator: "\n")
    let regex = try! NSRegularExpression(pattern: "`([^`]+)`")
    for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
      let span = String(text[Range(match.range(at: 1), in: text)!])
      guard span.hasPrefix("wick ") || span == "wick" else { continue }
      let start = Range(match.range, in: text)!.lowerBound
      let line = text[..<start].filter { $0 == "\n" }.count + 1
      take(span.replacingOccurrences(of: "\n", with: " "), line: line, inline: true)
    }
    return found
  }

  /// Nil when the command is fine as the docs use it, else why not.
  static func failure(_ command: Command) -> String? {
    guard let failure = CommandLineText.parseFailure(command.arguments) else { return nil }
    if command.inline,
      failure.hasPrefix("Missing expected argument") || failure.hasPrefix("Missing value for")
    {
      return nil
    }
    return failure
  }

  @Test func everyWickCommandInTheDocsParses() throws {
    var failures: [String] = []
    var count = 0
    for file in try Self.markdownFiles() {
      for command in Self.commands(
        in: try String(contentsOfFile: file, encoding: .utf8), file: file)
      {
        count += 1
        if let failure = Self.failure(command) {
          failures.append(
            "\(command.file):\(command.line): `\(command.text.trimmingCharacters(in: .whitespaces))`: \(failure)"
          )
        }
      }
    }
    #expect(
      failures.isEmpty,
      "\(failures.count) documented command(s) do not parse with the current CLI:\n\(failures.joined(separator: "\n"))"
    )
    // The docs show dozens of commands: finding few means the extraction broke.
    #expect(count > 60, "found only \(count) wick commands in README.md and docs/")
  }

  /// The extraction itself: blocks and spans are found, other languages are not, line numbers
  /// point at the command, and a wrong flag is reported with its file and line.
  /// Every relative link of README.md and docs/ points at a file that exists (the README once
  /// linked a notifications page nobody had written).
  @Test func everyRelativeLinkInTheDocsResolves() throws {
    let link = try Regex(#"\]\(([^)#\s]+)(#[^)]*)?\)"#)
    var broken: [String] = []
    for file in try Self.markdownFiles() {
      let text = try String(contentsOfFile: file, encoding: .utf8)
      let folder = (file as NSString).deletingLastPathComponent
      for (n, line) in text.components(separatedBy: "\n").enumerated() {
        for match in line.matches(of: link) {
          guard let target = match.output[1].substring.map(String.init),
            !target.contains("://"), !target.hasPrefix("mailto:")
          else { continue }
          let path = folder.isEmpty ? target : folder + "/" + target
          if !FileManager.default.fileExists(atPath: path) {
            broken.append("\(file):\(n + 1): \(target)")
          }
        }
      }
    }
    #expect(broken.isEmpty, "links to missing files: \(broken)")
  }

  @Test func extractionFindsBlocksAndSpansWithTheirLines() throws {
    let markdown = """
      Run `wick stop --flatten` then `wick replay
      ID`.

      ```
      wick data ls   # a comment
      cp a b && WICK_DASHBOARD_TOKEN=x wick serve \\
        --port 9000
      sudo -u wick wick runs ls > out.txt
      ```

      ```toml
      # wick run --no-such-flag
      ```

      ```sh
      wick backtest s.lua --no-such-flag
      ```
      """
    let commands = Self.commands(in: markdown, file: "x.md")
    #expect(
      commands.map { "\($0.line): \($0.arguments.joined(separator: " "))" } == [
        "5: data ls", "6: serve --port 9000", "8: runs ls", "16: backtest s.lua --no-such-flag",
        "1: stop --flatten", "1: replay ID",
      ])
    let failures = commands.filter { Self.failure($0) != nil }
    #expect(failures.map(\.line) == [16])
    // Prose may name a command without its required values, but not a flag it lacks.
    let prose = Self.commands(
      in: "`wick replay` and `wick backtest --json`, `wick stop --now`", file: "y.md")
    #expect(prose.filter { Self.failure($0) != nil }.map(\.text) == ["wick stop --now"])
    #expect(
      CommandLineText.parseFailure(["backtest", "s.lua", "--no-such-flag"])?.contains(
        "--no-such-flag") == true)
  }
}

import ArgumentParser
import Foundation
import Testing
import WickCLI

/// ArgumentParser wraps help text at the terminal's width; a line break written into the text
/// survives that wrapping, so a paragraph with hand-made breaks prints ragged lines
/// ("--live trades\non the\nexchange") on any terminal wider or narrower than the author's.
@Suite struct HelpTextTests {
  struct Info: Decodable { var command: CommandInfo }
  struct CommandInfo: Decodable {
    var commandName: String
    var abstract: String?
    var discussion: String?
    var subcommands: [CommandInfo]?
    var arguments: [ArgumentInfo]?
  }
  struct ArgumentInfo: Decodable {
    var valueName: String?
    var abstract: String?
    var discussion: String?
  }

  /// The lines of `text` that break a paragraph by hand. A paragraph (between blank lines) is
  /// one line of prose, optionally introducing an indented block with a trailing colon
  /// ("Examples:" and the commands below it), or an indented block alone. Indented lines are
  /// kept as written: commands and tables.
  static func handBreaks(in text: String) -> [String] {
    var found: [String] = []
    for paragraph in text.components(separatedBy: "\n\n") {
      let lines = paragraph.split(separator: "\n", omittingEmptySubsequences: false).map(
        String.init)
      for (i, line) in lines.enumerated() where i + 1 < lines.count {
        let next = lines[i + 1]
        let indented = line.first == " "
        let nextIndented = next.first == " "
        if !indented && !(line.hasSuffix(":") && nextIndented) {
          found.append(line)
        } else if indented && !nextIndented {
          found.append(line)
        }
      }
    }
    return found
  }

  static func problems(in command: CommandInfo, path: String) -> [String] {
    var problems: [String] = []
    let name = path.isEmpty ? command.commandName : path + " " + command.commandName
    if let abstract = command.abstract, abstract.contains("\n") {
      problems.append("\(name): the abstract has a line break")
    }
    for line in handBreaks(in: command.discussion ?? "") {
      problems.append("\(name): discussion breaks a paragraph after \"\(line)\"")
    }
    for argument in command.arguments ?? [] {
      let label = "\(name) <\(argument.valueName ?? "?")>"
      if let abstract = argument.abstract, abstract.contains("\n") {
        problems.append("\(label): the help has a line break")
      }
      for line in handBreaks(in: argument.discussion ?? "") {
        problems.append("\(label): discussion breaks a paragraph after \"\(line)\"")
      }
    }
    for sub in command.subcommands ?? [] { problems += Self.problems(in: sub, path: name) }
    return problems
  }

  static func tree() throws -> CommandInfo {
    try JSONDecoder().decode(Info.self, from: Data(WickCommand._dumpHelp().utf8)).command
  }

  @Test func noHelpTextBreaksAParagraphByHand() throws {
    let root = try Self.tree()
    let problems = Self.problems(in: root, path: "")
    #expect(problems.isEmpty, "\n\(problems.joined(separator: "\n"))")
    // Every command was visited, including nested ones.
    func names(_ c: CommandInfo) -> [String] {
      [c.commandName] + (c.subcommands ?? []).flatMap(names)
    }
    #expect(Set(names(root)).isSuperset(of: ["run", "serve", "synth", "merge", "check"]))
  }

  @Test func theRuleCatchesWhatTheTerminalShows() {
    #expect(
      Self.handBreaks(in: "Paper fills on the\nlive candles.\n\nExample:\n  wick run x.lua")
        == ["Paper fills on the"])
    #expect(Self.handBreaks(in: "One paragraph.\n\nExamples:\n  wick a\n  wick b\n\nMore.").isEmpty)
    #expect(Self.handBreaks(in: "Examples:\n  wick a\nprose after the block") == ["  wick a"])
  }

  /// What a user sees: at a wide terminal the run command's first paragraph is one line.
  @Test func runHelpFlowsToTheTerminalWidth() {
    let help = WickCommand.helpMessage(for: RunCommand.self, columns: 400)
    let line = help.split(separator: "\n").first { $0.hasPrefix("Paper fills") }
    #expect(line?.contains("WICK_BYBIT_API_SECRET") == true, "\(help)")
  }
}

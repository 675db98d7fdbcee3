import Foundation
import Testing
import WickOptimize

/// The shipped Kubernetes Job and Slurm script must run exactly the shards `--shard` accepts:
/// indices 0…N−1 with N the same on both sides, covering every trial once.
@Suite struct DeployManifestTests {
  func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

  func firstMatch(_ pattern: String, in text: String) -> [String]? {
    let regex = try! NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
    guard let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else {
      return nil
    }
    return (1..<m.numberOfRanges).map { String(text[Range(m.range(at: $0), in: text)!]) }
  }

  /// Every index the engine will hand out parses as a shard of `count`, the next one does not,
  /// and the shards cover a sweep exactly once.
  func checkShards(indices: ClosedRange<Int>, count: Int) throws {
    #expect(indices == 0...(count - 1))
    for i in indices { _ = try Shard(parsing: "\(i)/\(count)") }
    #expect(throws: (any Error).self) { try Shard(parsing: "\(indices.upperBound + 1)/\(count)") }
    for total in [1, 7, 1000, 1001] {
      let covered = indices.flatMap { Array(Shard(index: $0, count: count).range(of: total)) }
      #expect(covered == Array(0..<total))
    }
  }

  @Test func kubernetesIndexedJobMatchesShardArithmetic() throws {
    let yaml = try text("deploy/k8s/optimize-job.yaml")
    #expect(yaml.contains("completionMode: Indexed"))
    let completions = Int(firstMatch(#"^\s+completions:\s*(\d+)"#, in: yaml)![0])!
    let shard = firstMatch(#"--shard \$\{?JOB_COMPLETION_INDEX\}?/(\d+)"#, in: yaml)!
    #expect(Int(shard[0]) == completions)
    // Each pod writes its own directory, named by its index.
    #expect(firstMatch(#"--out \S*\$\{?JOB_COMPLETION_INDEX\}?"#, in: yaml) != nil)
    // Completion indices run from 0 to completions − 1.
    try checkShards(indices: 0...(completions - 1), count: Int(shard[0])!)
  }

  @Test func slurmArrayMatchesShardArithmetic() throws {
    let script = try text("deploy/slurm/optimize.sbatch")
    let array = firstMatch(#"^#SBATCH --array=(\d+)-(\d+)"#, in: script)!
    let shards = Int(firstMatch(#"^SHARDS=(\d+)"#, in: script)![0])!
    #expect(script.contains("--shard \"${SLURM_ARRAY_TASK_ID}/${SHARDS}\""))
    #expect(firstMatch(#"--out \S*\$\{SLURM_ARRAY_TASK_ID\}"#, in: script) != nil)
    try checkShards(indices: Int(array[0])!...Int(array[1])!, count: shards)
  }
}

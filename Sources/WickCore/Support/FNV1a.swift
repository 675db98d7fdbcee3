/// FNV-1a 64 of a text's UTF-8 bytes, in lowercase hex: a short, stable id for a text (a script
/// version's hash in the ledger, a notification sink's key). Not for anything secret.
public enum FNV1a {
  public static func hex(_ text: String) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in text.utf8 {
      h ^= UInt64(b)
      h = h &* 0x100_0000_01b3
    }
    return String(h, radix: 16)
  }
}

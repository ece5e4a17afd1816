@testable import BulwarkAccess
import Testing

/// The credential public key of W3C WebAuthn L3 §16 "ES256 Credential with No Attestation".
let specNoneCOSEKey = hexBytes("a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220")

@Test func coseKeyReadsSpecES256Key() throws {
    let key = try COSEPublicKey(coseKey: specNoneCOSEKey)
    #expect(key.uncompressedPoint == [0x04] + hexBytes("afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220"))
    #expect(key.coseKey == specNoneCOSEKey)
    #expect(!key.isValidSignature([0x30, 0x00], for: [1, 2, 3]))
}

@Test func coseKeyRefusesOtherAlgorithmsNamingES256() {
    // ES384 on P-384 (alg -35), EdDSA on Ed25519 (alg -8), RS256 (alg -257): one line, lists ES256.
    let es384 = hexBytes("a40102033822200221" + "5830" + String(repeating: "11", count: 48))
    let eddsa = hexBytes("a4010103272006215820" + String(repeating: "22", count: 32))
    let rs256 = hexBytes("a3010303390100205901" + "00" + String(repeating: "33", count: 256))
    for bytes in [es384, eddsa, rs256] {
        let error = accessError { _ = try COSEPublicKey(coseKey: bytes) }
        #expect(error?.code == .invalidParameter)
        #expect(error?.message.contains("supported: ES256 (COSE alg -7") == true, "\(String(describing: error))")
        #expect(error?.message.contains("\n") == false)
    }
}

@Test func coseKeyRefusesMalformedKeys() {
    // x of 31 bytes; y missing; a point off the curve; not a map; not CBOR.
    let shortX = hexBytes("a501020326200121581f" + String(repeating: "01", count: 31) + "225820" + String(repeating: "02", count: 32))
    let noY = hexBytes("a4010203262001215820" + String(repeating: "01", count: 32))
    let offCurve = hexBytes("a5010203262001215820" + String(repeating: "01", count: 32) + "225820" + String(repeating: "02", count: 32))
    for bytes in [shortX, noY, offCurve, hexBytes("8101"), hexBytes("a5ff")] {
        #expect(accessErrorCode { _ = try COSEPublicKey(coseKey: bytes) } == .malformed)
    }
    // kty EC2 with alg -7 but curve P-384: refused as unsupported.
    let wrongCurve = hexBytes("a5010203262002215820" + String(repeating: "01", count: 32) + "225820" + String(repeating: "02", count: 32))
    #expect(accessErrorCode { _ = try COSEPublicKey(coseKey: wrongCurve) } == .invalidParameter)
}

import BulwarkAccess
import Foundation
import Testing

// The reference example of golang.org/x/mod/sumdb/note (note_test.go and its package
// documentation): a signer key, its verifier key, a text and the note Go signs it into.
private let goSignerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
private let goVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
private let goText = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
private let goNote = goText + "\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

@Test func referenceNoteVerifiesWithItsVerifierKey() throws {
    let verifier = try NoteVerifier(verifierKey: goVerifierKey)
    #expect(verifier.name == "PeterNeumann")
    #expect(verifier.keyID == 0xc74f20a3)
    #expect(verifier.verifierKey == goVerifierKey)
    let note = try SignedNote.parse(goNote)
    #expect(try note.verifiedText(by: [verifier]) == goText)
    #expect(note.serialized == goNote)
}

@Test func referenceSignerKeyDerivesTheVerifierAndTheSameSignature() throws {
    let signer = try NoteSigner(signerKey: goSignerKey)
    #expect(signer.verifier.verifierKey == goVerifierKey)
    #expect(signer.signerKey == goSignerKey)
    let note = try SignedNote.sign(goText, by: [signer])
    #expect(try note.verifiedText(by: [signer.verifier]) == goText)
    #if os(Linux)
    // BoringSSL signs deterministically (RFC 8032), so the note is byte for byte Go's.
    #expect(note.serialized == goNote)
    #endif
}

@Test func tamperedOrForeignNotesAreRefused() throws {
    let verifier = try NoteVerifier(verifierKey: goVerifierKey)
    let edited = try SignedNote.parse(goNote.replacingOccurrences(of: "cryptography", with: "cryptographY"))
    #expect(throws: AccessError.self) { try edited.verifiedText(by: [verifier]) }
    do {
        _ = try edited.verifiedText(by: [verifier])
    } catch {
        #expect(error.code == .tampered)
    }
    let other = try NoteSigner.generate(name: "PeterNeumann")
    do {
        _ = try SignedNote.parse(goNote).verifiedText(by: [other.verifier])
        Issue.record("a note signed by another key verified")
    } catch {
        #expect(error.code == .unauthenticated)
    }
    // An unknown extra signature is ignored; the known one still verifies.
    let stranger = try NoteSigner.generate(name: "stranger.example")
    var cosigned = try SignedNote.parse(goNote)
    cosigned.signatures.append(try stranger.signature(for: goText))
    #expect(try SignedNote.parse(cosigned.serialized).verifiedText(by: [verifier]) == goText)
}

@Test func malformedNotesAndKeysAreRejected() throws {
    let signature = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    let bad = [
        goText + signature,                                       // no blank line
        goText + "\n" + signature.dropLast(),                     // no final newline
        goText + "\n" + "- PeterNeumann AAAA\n",                  // hyphen, not em dash
        goText + "\n" + "\u{2014} Peter Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        goText + "\n" + "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n",  // bad padding
        goText + "\n" + "\u{2014} PeterNeumann AAA=\n",            // too short for a key id and a signature
        "text\twith a tab\n\n" + signature,                        // control character
        goText + "\n",                                             // no signatures
        goText + "\n" + String(repeating: signature, count: 101),  // too many signatures
        String(repeating: "a", count: SignedNote.maximumBytes) + "\n\n" + signature,  // too big
    ]
    for note in bad {
        #expect(throws: AccessError.self, "\(note.prefix(40))") { try SignedNote.parse(note) }
    }
    #expect(throws: AccessError.self) { try SignedNote.parse([0xFF, 0x0A, 0x0A] + Array(signature.utf8)) }
    for key in ["PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // wrong key id
                "PeterNeumann+c74f20a3+AhpM2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // wrong algorithm byte
                "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",   // truncated
                "Peter+Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // uppercase hex
                ""] {
        #expect(throws: AccessError.self, "\(key)") { try NoteVerifier(verifierKey: key) }
    }
    #expect(throws: AccessError.self) { try NoteSigner(signerKey: "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz") }
    #expect(throws: AccessError.self) { try NoteSigner.generate(name: "has space") }
}

@Test func checkpointsRoundTripAndCheckOrigin() throws {
    let signer = try NoteSigner.generate(name: "bulwark.example/audit")
    let checkpoint = Checkpoint(origin: "bulwark.example/audit", size: 20852163, rootHash: .leaf([7]))
    let note = try checkpoint.signed(by: signer).serialized
    #expect(note.hasPrefix("bulwark.example/audit\n20852163\n\(MerkleHash.leaf([7]).base64)\n\n\u{2014} bulwark.example/audit "))
    #expect(try Checkpoint.open(note, origin: "bulwark.example/audit", verifier: signer.verifier) == checkpoint)
    do {
        _ = try Checkpoint.open(note, origin: "bulwark.example/other", verifier: signer.verifier)
        Issue.record("a checkpoint of another origin opened")
    } catch {
        #expect(error.code == .tampered)
    }
    let other = try NoteSigner.generate(name: "bulwark.example/audit")
    #expect(throws: AccessError.self) { try Checkpoint.open(note, origin: "bulwark.example/audit", verifier: other.verifier) }
    // The spec's example body parses.
    let example = try Checkpoint(body: "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
    #expect(example.size == 20852163)
    #expect(example.body == "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
    let withExtension = Checkpoint(origin: "o", size: 0, rootHash: .emptyTree, extensions: ["ext"])
    #expect(try Checkpoint(body: withExtension.body) == withExtension)
    let root = MerkleHash.emptyTree.base64
    for body in ["o\n1\n\(root)", "o\n01\n\(root)\n", "o\n-1\n\(root)\n", "o\n18446744073709551616\n\(root)\n",
                 "\n1\n\(root)\n", "o\n1\nAAAA\n", "o\n1\n\(root)\n\n", "o\n1\n"] {
        #expect(throws: AccessError.self, "\(body)") { try Checkpoint(body: body) }
    }
}

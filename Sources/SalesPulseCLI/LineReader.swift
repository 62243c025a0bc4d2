import Foundation

/// Reads lines as byte arrays from a file handle in large chunks (no per-line syscalls).
struct LineReader: Sequence, IteratorProtocol {
    let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var finished = false

    init(handle: FileHandle) { self.handle = handle }

    mutating func next() -> [UInt8]? {
        while true {
            if let newline = buffer[position...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[position..<newline])
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                position = newline + 1
                return line
            }
            if finished {
                guard position < buffer.count else { return nil }
                let line = Array(buffer[position...])
                position = buffer.count
                return line
            }
            buffer.removeFirst(position)
            position = 0
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { finished = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}

/// Finds the top-level `"subject"` string of a JSON event without a full parse.
enum SubjectScanner {
    static func subject(in line: [UInt8]) -> [UInt8]? {
        let needle = Array("\"subject\"".utf8)
        guard line.count > needle.count else { return nil }
        var index = 0
        while index + needle.count <= line.count {
            if line[index] == needle[0], Array(line[index..<index + needle.count]) == needle {
                var cursor = index + needle.count
                while cursor < line.count, line[cursor] == 0x20 || line[cursor] == 0x3A { cursor += 1 }
                guard cursor < line.count, line[cursor] == 0x22 else { return nil }
                let start = cursor + 1
                var end = start
                while end < line.count, line[end] != 0x22 { if line[end] == 0x5C { end += 1 }; end += 1 }
                return end <= line.count ? Array(line[start..<min(end, line.count)]) : nil
            }
            index += 1
        }
        return nil
    }
}

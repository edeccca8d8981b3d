import Foundation
import RelayTestSupport

/// How a child process ended and what it printed.
struct ProcessRun: Sendable {
    var status: Int32
    var output: String
    var errors: String
}

/// Runs `executable` to its end with exactly `environment`, collecting standard output and error. The
/// wait happens on a thread of its own (`offPool`): blocking one of the cooperative pool's two threads
/// here starves every relay and stand-in the other tests run meanwhile.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String],
                directory: URL? = nil, stdin: String? = nil) async throws -> ProcessRun {
    try await offPool { try runProcessBlocking(executable, arguments, environment: environment, directory: directory, stdin: stdin) }
}

private func runProcessBlocking(_ executable: String, _ arguments: [String], environment: [String: String],
                                directory: URL?, stdin: String?) throws -> ProcessRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = stdin.map { _ in Pipe() }
    if let input { process.standardInput = input }
    try process.run()
    if let input, let stdin {
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
    }
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessRun(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                      errors: String(decoding: errors, as: UTF8.self))
}

/// Runs a Python script with the test process's environment plus `environment`.
func runPython(_ script: String, arguments: [String] = [], environment: [String: String] = [:], stdin: String? = nil) async throws -> ProcessRun {
    try await runProcess("/usr/bin/env", ["python3", "-c", script] + arguments,
                         environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, stdin: stdin)
}

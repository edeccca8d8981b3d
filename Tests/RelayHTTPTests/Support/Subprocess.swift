import Foundation

/// How a child process ended and what it printed.
struct ProcessRun {
    var status: Int32
    var output: String
    var errors: String
}

/// Runs `executable` to its end with exactly `environment`, collecting standard output and error.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String],
                directory: URL? = nil) throws -> ProcessRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessRun(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                      errors: String(decoding: errors, as: UTF8.self))
}

/// Runs a Python script with the test process's environment plus `environment`.
func runPython(_ script: String, arguments: [String] = [], environment: [String: String] = [:]) throws -> ProcessRun {
    try runProcess("/usr/bin/env", ["python3", "-c", script] + arguments,
                   environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
}

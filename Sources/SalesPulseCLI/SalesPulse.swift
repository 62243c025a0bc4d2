import ArgumentParser

/// The `salespulse` command.
@main
struct SalesPulse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "salespulse",
        abstract: "Real-time sales process control: folds sales events from Kafka into flow state, freshness, health and alerts.",
        discussion: """
        Start with `salespulse demo` (no Kafka needed). Every subcommand has --help.
        """,
        version: "0.1.0",
        subcommands: [DemoCommand.self, RunCommand.self, BrokerCommand.self, PublishCommand.self, BenchCommand.self, ValidateCommand.self]
    )
}

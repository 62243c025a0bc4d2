/// A revoked partition's projector kept until the next assignment, with the identity of the
/// checkpoint in place that holds its state.
///
/// An eager rebalance revokes every partition, also those the instance gets back: rather than
/// read their checkpoints again (a second for 300,000 customers), the assignment takes the
/// projectors back — when the checkpoint in place is still the one written from them, so that
/// reusing one is what reading its checkpoint would give. Another checkpoint in place (another
/// instance sharing the state folder owned the partition meanwhile) is read as usual.
struct KeptPartition: Sendable {
    let projector: PartitionProjector
    let checkpoint: CheckpointFileIdentity
}

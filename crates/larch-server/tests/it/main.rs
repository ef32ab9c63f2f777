//! End-to-end tests of the API over real HTTP against an in-process server: every request is
//! SigV4-signed, routed, validated against the model and answered in AWS's shape.

mod harness;

mod durability;
mod events;
mod groups;
mod metric_filters;
mod protocol;
mod streams;

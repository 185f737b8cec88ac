mod behaviour;
mod harness;
mod properties;

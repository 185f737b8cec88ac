mod behaviour;
mod harness;
mod layers;
mod properties;

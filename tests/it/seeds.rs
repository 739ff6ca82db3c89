//! Every complete example configuration of dsops's own aws.sso documentation
//! (seeds/000_8b1992e393a3565e.txt) loads and works; every fragment gets the
//! precise error.

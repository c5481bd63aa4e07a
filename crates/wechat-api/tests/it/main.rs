//! End-to-end tests of wechat-api against wechat-mock over real sockets.

mod authorizer;
mod component;
mod custom;
mod menu;
mod network;
mod qrcode;
mod support;
mod token;
mod web;

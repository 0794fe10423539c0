// Written by tools/calibrate-recognizer.ts — do not edit by hand (docs/ocr-int8-calibration.md).
// Each range is the shortest decimal that reads back as the measured float32 value, exactly.
/* eslint-disable no-loss-of-precision */
import type { CalibrationTable } from './rec-calibration.js';

export const RECOGNIZER_CALIBRATION: CalibrationTable = {
  sourceSha256: '06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0',
  madeFrom: {
    tool: 'tools/calibrate-recognizer.ts',
    lines: 12,
    fonts: {
      'DejaVu Sans': {
        file: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
        sha256: 'abdc775b21b1bc470d50c97e790d276f2054b7504e56e5bd3e64f48d68582322',
      },
      'DejaVu Sans Mono': {
        file: '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf',
        sha256: '0f5db4f1749979d961019838b160bec74abdf7f9eca69553fe1aa856bbff49a4',
      },
      'DejaVu Serif': {
        file: '/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf',
        sha256: '13e61509f5c81d7c3132810f4f903e3523df89c802bf6e0674621e8f659cdfe1',
      },
      'WenQuanYi Zen Hei': {
        file: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc',
        sha256: '79c18ebe7b811951e8311bad7103ebeae8c337ed9988ea69e8a78a66cfe029b9',
      },
      'Noto Sans CJK SC': {
        file: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
        sha256: 'b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a',
      },
      'Noto Serif CJK SC': {
        file: '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc',
        sha256: 'a04178ec485dffdff7cc0c0c20e1fce9202d7e2160d805e8e44a4c8841c58481',
      },
    },
  },
  ranges: {
    'hardswish_36.tmp_0': [-0.375, 13.659236907958984],
    'p2o.Add.59': [-5.765213966369629, 5.185642242431641],
    'hardswish_38.tmp_0': [-0.375, 11.198468208312988],
    'p2o.Add.75': [-7.156565189361572, 6.084496974945068],
    'hardswish_40.tmp_0': [-0.375, 9.504780769348145],
    'p2o.Add.91': [-4.53054141998291, 4.437709808349609],
    'hardswish_42.tmp_0': [-0.375, 3.623523712158203],
    'p2o.Add.107': [-4.903012275695801, 5.236361503601074],
    'hardswish_44.tmp_0': [-0.375, 10.076154708862305],
    'p2o.Add.123': [-4.864808559417725, 5.8808088302612305],
    'hardswish_46.tmp_0': [-0.375, 8.20523738861084],
    'p2o.Add.139': [-4.638124942779541, 4.571497440338135],
    'hardswish_48.tmp_0': [-0.375, 9.132901191711426],
    'p2o.Add.155': [-5.128520488739014, 5.5789570808410645],
    'p2o.Mul.127': [-0.7162424921989441, 2.0267913341522217],
    'p2o.Add.175': [-9.724837303161621, 5.957531929016113],
    'p2o.Mul.141': [-0.942927360534668, 3.9810845851898193],
    'p2o.Add.195': [-6.378772735595703, 10.243680953979492],
    'hardswish_54.tmp_0': [-0.3749999701976776, 9.851963996887207],
    'p2o.Add.211': [-6.243407249450684, 7.273050308227539],
    'hardswish_56.tmp_0': [-0.375, 19.235719680786133],
    'p2o.Add.227': [-17.19976234436035, 29.998563766479492],
    'transpose_50.tmp_0': [-1.3169231414794922, 2.1407546997070312],
    'conv2d_206.tmp_0': [-2.248659372329712, 2.7400705814361572],
  },
};

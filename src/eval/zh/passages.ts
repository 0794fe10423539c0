/**
 * The texts of the Chinese test set: ordinary business documents written for this project (no third-party
 * text), plus a page of mixed Chinese/English lines with numbers, dates, currency and an e-mail address.
 * Each entry of `paragraphs` is wrapped to the page width when rendered; the GT is what ends up on the page.
 */
export interface Passage {
  name: string;
  paragraphs: string[];
}

export const ZH_PASSAGES: readonly Passage[] = [
  {
    name: 'contract',
    paragraphs: [
      '采购合同（节选）',
      '合同编号：HT-2024-0315',
      '甲方：上海明远贸易有限公司',
      '乙方：杭州恒信电子科技有限公司',
      '第一条 甲方向乙方采购工业控制器二百台，单价人民币一千二百五十元，合同总金额为人民币二十五万元整。',
      '第二条 乙方应于二〇二四年五月三十日前将全部货物送达甲方指定仓库，运输费用由乙方承担。',
      '第三条 货物验收合格后三十日内，甲方以银行转账方式支付全部货款。',
      '第四条 任何一方违反本合同约定，应向对方支付合同总金额百分之五的违约金。',
      '第五条 本合同一式两份，双方各执一份，自双方签字盖章之日起生效。',
    ],
  },
  {
    name: 'invoice',
    paragraphs: [
      '增值税专用发票',
      '发票代码：3100231130 发票号码：08812345',
      '开票日期：2024年03月15日',
      '购买方名称：北京华创信息技术有限公司',
      '纳税人识别号：91110108MA01ABCD2X',
      '货物名称 规格型号 数量 单价 金额',
      '办公电脑 ThinkPad E14 5 4,680.00 23,400.00',
      '激光打印机 HP M404dn 2 2,150.00 4,300.00',
      '合计金额：¥27,700.00 税率：13% 税额：¥3,601.00',
      '价税合计（大写）：叁万壹仟叁佰零壹元整',
      '收款人：王丽 复核：张伟 开票人：李娜',
    ],
  },
  {
    name: 'notice',
    paragraphs: [
      '关于春节放假安排的通知',
      '各部门、全体员工：',
      '根据国务院办公厅通知精神，结合公司实际情况，现将二〇二五年春节放假安排通知如下：',
      '一、一月二十八日至二月四日放假调休，共八天。一月二十六日（星期日）、二月八日（星期六）正常上班。',
      '二、节前请各部门做好安全检查工作，关闭门窗、电源，贵重物品妥善保管。',
      '三、放假期间如遇紧急情况，请及时联系值班人员，值班电话：021-6288 5510。',
      '特此通知。',
      '行政人事部',
      '二〇二五年一月十日',
    ],
  },
  {
    name: 'mixed',
    paragraphs: [
      '会议纪要 Meeting Minutes',
      '时间 Date：2024-11-08 14:30-16:00',
      '地点 Venue：深圳市南山区科技园 A 座 12F',
      '参会人员：陈总 (CEO)、Linda Wu (CFO)、刘工 (CTO)',
      '1. Q3 营收为 ¥8,650,000，同比增长 12.5%。',
      '2. 新版 App v2.3.1 计划于 12 月 1 日上线，负责人 Tom Zhang。',
      '3. 服务器预算 USD 45,000 已获批准，PO No. 2024-0877。',
      '4. 下次会议：2024年11月22日（周五）上午 10:00。',
      'Email: office@example.cn Tel: +86 755 8866 1234',
    ],
  },
];

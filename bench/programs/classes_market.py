"""Classes and method calls: an order-book market simulation with polymorphic traders, properties,
inheritance, super() and __slots__. Resembles pyperformance's richards (an OO simulation)."""

from collections import deque

TICKS = 5500


class Lcg:
    """A tiny deterministic pseudo-random source (kept in Python on purpose: more method calls)."""

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return self.state

    def below(self, n):
        return self.next() % n


class Order:
    __slots__ = ("oid", "trader", "side", "price", "qty", "filled")

    def __init__(self, oid, trader, side, price, qty):
        self.oid = oid
        self.trader = trader
        self.side = side
        self.price = price
        self.qty = qty
        self.filled = 0

    @property
    def remaining(self):
        return self.qty - self.filled

    @property
    def done(self):
        return self.filled >= self.qty

    def crosses(self, price):
        return price <= self.price if self.side == "buy" else price >= self.price


class Trade:
    __slots__ = ("buyer", "seller", "price", "qty")

    def __init__(self, buyer, seller, price, qty):
        self.buyer = buyer
        self.seller = seller
        self.price = price
        self.qty = qty

    @property
    def notional(self):
        return self.price * self.qty


class OrderBook:
    def __init__(self):
        self.levels = {"buy": {}, "sell": {}}
        self.next_oid = 0
        self.trades = []
        self.last_price = 100

    def new_order(self, trader, side, price, qty):
        self.next_oid += 1
        return Order(self.next_oid, trader, side, price, qty)

    def best(self, side):
        # Levels are removed as they empty, so every key here has resting orders.
        prices = self.levels[side]
        if not prices:
            return None
        return max(prices) if side == "buy" else min(prices)

    def submit(self, order):
        other = "sell" if order.side == "buy" else "buy"
        while not order.done:
            price = self.best(other)
            if price is None or not order.crosses(price):
                break
            queue = self.levels[other][price]
            resting = queue[0]
            qty = min(order.remaining, resting.remaining)
            order.filled += qty
            resting.filled += qty
            if resting.done:
                queue.popleft()
                if not queue:
                    del self.levels[other][price]
            buy, sell = (order, resting) if order.side == "buy" else (resting, order)
            self.record(Trade(buy.trader, sell.trader, price, qty))
        if not order.done:
            self.levels[order.side].setdefault(order.price, deque()).append(order)

    def record(self, trade):
        self.trades.append(trade)
        self.last_price = trade.price
        trade.buyer.on_fill(+trade.qty, trade.price)
        trade.seller.on_fill(-trade.qty, trade.price)

    def cancel_all(self, trader):
        for side in self.levels.values():
            for price in list(side):
                kept = deque(o for o in side[price] if o.trader is not trader)
                if kept:
                    side[price] = kept
                else:
                    del side[price]


class Trader:
    def __init__(self, name, cash):
        self.name = name
        self.cash = cash
        self.position = 0
        self.fills = 0

    def on_fill(self, qty, price):
        self.position += qty
        self.cash -= qty * price
        self.fills += 1

    def equity(self, price):
        return self.cash + self.position * price

    def act(self, tick, book):
        raise NotImplementedError


class MarketMaker(Trader):
    def __init__(self, name, cash, spread, size):
        super().__init__(name, cash)
        self.spread = spread
        self.size = size

    def act(self, tick, book):
        if tick % 5 == 0:
            book.cancel_all(self)
        skew = -self.position // 20
        mid = book.last_price + skew
        book.submit(book.new_order(self, "buy", mid - self.spread, self.size))
        book.submit(book.new_order(self, "sell", mid + self.spread, self.size))


class Momentum(Trader):
    def __init__(self, name, cash, lookback):
        super().__init__(name, cash)
        self.history = deque(maxlen=lookback)

    def act(self, tick, book):
        self.history.append(book.last_price)
        if len(self.history) < self.history.maxlen:
            return
        change = self.history[-1] - self.history[0]
        if change > 1 and self.position < 50:
            book.submit(book.new_order(self, "buy", book.last_price + 2, 3))
        elif change < -1 and self.position > -50:
            book.submit(book.new_order(self, "sell", book.last_price - 2, 3))


class Noise(Trader):
    def __init__(self, name, cash, seed):
        super().__init__(name, cash)
        self.rng = Lcg(seed)

    def act(self, tick, book):
        if self.rng.below(3):
            return
        side = "buy" if self.rng.below(2) else "sell"
        offset = self.rng.below(5) - 2
        price = book.last_price + (offset if side == "buy" else -offset)
        book.submit(book.new_order(self, side, price, 1 + self.rng.below(4)))


class ValueInvestor(Trader):
    def __init__(self, name, cash, fair):
        super().__init__(name, cash)
        self.fair = fair

    def act(self, tick, book):
        gap = book.last_price - self.fair
        if gap >= 3:
            book.submit(book.new_order(self, "sell", book.last_price - 1, 2))
        elif gap <= -3:
            book.submit(book.new_order(self, "buy", book.last_price + 1, 2))


def make_traders():
    traders = [MarketMaker("mm%d" % i, 100000, 1 + i, 5) for i in range(2)]
    traders += [Momentum("mo%d" % i, 50000, 4 + 3 * i) for i in range(3)]
    traders += [Noise("nz%d" % i, 20000, 1000 + i) for i in range(8)]
    traders += [ValueInvestor("vi%d" % i, 80000, 98 + 2 * i) for i in range(2)]
    return traders


def bench():
    book = OrderBook()
    traders = make_traders()
    start_cash = sum(t.cash for t in traders)
    for tick in range(TICKS):
        for trader in traders:
            trader.act(tick, book)
    trades = book.trades
    volume = sum(t.qty for t in trades)
    notional = sum(t.notional for t in trades)
    # Cash and shares only move between traders.
    assert sum(t.cash for t in traders) == start_cash
    assert sum(t.position for t in traders) == 0
    fills = sum(t.fills for t in traders)
    summary = (len(trades), volume, notional, book.next_oid, book.last_price, fills,
               max(t.equity(book.last_price) for t in traders))
    assert summary == (40786, 76441, 9332529, 58510, 109, 81572, 491460), summary
